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
        => TryPrepare(args, stdout, stderr, out var settings, out var exitCode) ? runBroker(settings) : exitCode;

    /// <summary><see cref="Run"/> for a broker that runs asynchronously (the Kestrel listener).</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, Func<BrokerSettings, Task<int>> runBroker)
        => TryPrepare(args, stdout, stderr, out var settings, out var exitCode) ? await runBroker(settings).ConfigureAwait(false) : exitCode;

    /// <summary>
    /// Everything before the broker starts. False when the process should exit now with
    /// <paramref name="exitCode"/> (help, version, print-config, or a usage / configuration error).
    /// </summary>
    public static bool TryPrepare(string[] args, TextWriter stdout, TextWriter stderr, out BrokerSettings settings, out int exitCode)
    {
        settings = null!;
        exitCode = ExitOk;
        CommandLine cli;
        try
        {
            cli = CommandLine.Parse(args);
        }
        catch (FormatException e)
        {
            stderr.WriteLine($"akkabroker: {e.Message}");
            stderr.WriteLine(CommandLine.Usage);
            exitCode = ExitUsage;
            return false;
        }

        if (cli.Help)
        {
            stdout.WriteLine(CommandLine.Usage);
            return false;
        }

        if (cli.Version)
        {
            stdout.WriteLine($"akkabroker {Version}");
            return false;
        }

        if (!TryLoad(cli, stderr, out settings))
        {
            exitCode = ExitUsage;
            return false;
        }

        foreach (var key in settings.IgnoredKeys)
        {
            stderr.WriteLine($"akkabroker: warning: ignoring unknown configuration key '{key}'");
        }

        if (cli.PrintConfig)
        {
            stdout.Write(EffectiveConfigPrinter.Print(settings.Values));
            return false;
        }

        return true;
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
