using Broker.Host.Configuration;

namespace Broker.Host;

public static class Program
{
    public static int Main(string[] args)
        => BrokerStartup.Run(args, Console.Out, Console.Error, settings =>
        {
            Console.WriteLine($"akkabroker {BrokerStartup.Version}");
            Console.Write(EffectiveConfigPrinter.Print(settings.Values));
            Console.WriteLine("akkabroker: configuration is valid; the broker is not wired yet, exiting.");
            return BrokerStartup.ExitOk;
        });
}
