namespace Broker.Host;

public static class Program
{
    public static int Main(string[] args)
    {
        Console.WriteLine($"akkabroker {typeof(Program).Assembly.GetName().Version}");
        Console.WriteLine("The broker is not built yet; see README.md.");
        return 0;
    }
}
