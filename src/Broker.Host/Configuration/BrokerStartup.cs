using System.Reflection;
using Broker.Actors.Configs;
using Broker.Host.Configuration.Hocon;
using Microsoft.Extensions.Configuration;

namespace Broker.Host.Configuration;

/// <summary>
/// The process's start: arguments, configuration, validation, then the broker. Every way a start can
/// fail on bad input ends here with one line on stderr and exit code 2, so scripts can tell a bad
/// config from a crash.
/// </summary>
public static class BrokerStartup
{
    public const int ExitOk = 0;
    public const int ExitUsage = 2;

    public static string Version =>
        typeof(BrokerStartup).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(BrokerStartup).Assembly.GetName().Version?.ToString() ?? "0.0.0";

    /// <summary>
    /// Parses <paramref name="args"/>, loads and validates the config, then calls
    /// <paramref name="runBroker"/> with the settings and returns its exit code.
    /// </summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, Func<BrokerSettings, int> runBroker)
    {
        CommandLine cli;
        try
        {
            cli = CommandLine.Parse(args);
        }
        catch (FormatException e)
        {
            stderr.WriteLine($"akkabroker: {e.Message}");
            stderr.WriteLine(CommandLine.Usage);
            return ExitUsage;
        }

        if (cli.Help)
        {
            stdout.WriteLine(CommandLine.Usage);
            return ExitOk;
        }

        if (cli.Version)
        {
            stdout.WriteLine($"akkabroker {Version}");
            return ExitOk;
        }

        if (!TryLoad(cli, stderr, out var settings))
        {
            return ExitUsage;
        }

        foreach (var key in settings.IgnoredKeys)
        {
            stderr.WriteLine($"akkabroker: warning: ignoring unknown configuration key '{key}'");
        }

        if (cli.PrintConfig)
        {
            stdout.Write(EffectiveConfigPrinter.Print(settings.Values));
            return ExitOk;
        }

        return runBroker(settings);
    }

    /// <summary>Loads settings; on failure writes <c>akkabroker: invalid configuration: ...</c> (one line).</summary>
    public static bool TryLoad(CommandLine cli, TextWriter stderr, out BrokerSettings settings)
    {
        settings = null!;
        try
        {
            settings = Load(cli.ConfigFile, cli.Overrides);
            return true;
        }
        catch (Exception e) when (e is ConfigException or HoconException or IOException or UnauthorizedAccessException)
        {
            var reason = e is IOException or UnauthorizedAccessException
                ? $"cannot read {cli.ConfigFile}: {e.Message}"
                : e.Message;
            stderr.WriteLine($"akkabroker: invalid configuration: {OneLine(reason)}");
            return false;
        }
    }

    /// <summary>Reads <paramref name="configFile"/> (none: defaults only) with <c>--set</c> overrides winning.</summary>
    public static BrokerSettings Load(string? configFile, IEnumerable<KeyValuePair<string, string>> overrides)
    {
        if (configFile is not null && !File.Exists(configFile))
        {
            throw new FileNotFoundException("no such file", configFile);
        }

        var configuration = new ConfigurationBuilder()
            .AddHoconFile(configFile, optional: false, overrides)
            .Build();
        return BrokerSettings.FromConfiguration(configuration);
    }

    private static string OneLine(string s) => s.ReplaceLineEndings(" ");
}
