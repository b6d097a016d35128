namespace Broker.Protocol.Generator;

public static class Program
{
    public static int Main(string[] args)
    {
        Console.Error.WriteLine("generator not written yet");
        return 1;
    }
}
