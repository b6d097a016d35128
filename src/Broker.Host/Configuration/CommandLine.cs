namespace Broker.Host.Configuration;

/// <summary>
/// <c>akkabroker [--config FILE] [--set key=value]... [--print-config] [--version] [--help]</c>,
/// parsed by hand: five options do not need a parser library.
/// </summary>
public sealed record CommandLine(
    string? ConfigFile, IReadOnlyList<KeyValuePair<string, string>> Overrides, bool PrintConfig, bool Version, bool Help)
{
    public const string Usage =
        "usage: akkabroker [--config FILE] [--set key=value]... [--print-config] [--version] [--help]\n" +
        "  --config FILE       HOCON config file (e.g. hocon/single-node.conf); keys are Kafka's names\n" +
        "  --set key=value     override one key (wins over the file); repeatable\n" +
        "  --print-config      print the effective configuration and exit\n" +
        "  --version           print the version and exit";

    /// <summary>Parses arguments; a <see cref="FormatException"/> describes a usage error.</summary>
    public static CommandLine Parse(IReadOnlyList<string> args)
    {
        string? config = null;
        var overrides = new List<KeyValuePair<string, string>>();
        bool print = false, version = false, help = false;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            var eq = arg.StartsWith("--", StringComparison.Ordinal) ? arg.IndexOf('=', StringComparison.Ordinal) : -1;
            var name = eq > 0 ? arg[..eq] : arg;
            string Value()
            {
                if (eq > 0)
                {
                    return arg[(eq + 1)..];
                }

                if (i + 1 >= args.Count)
                {
                    throw new FormatException($"{name} needs a value");
                }

                return args[++i];
            }

            switch (name)
            {
                case "--config" or "-c":
                    if (config is not null)
                    {
                        throw new FormatException("--config given twice");
                    }

                    config = Value();
                    break;
                case "--set" or "-s":
                    var pair = Value();
                    var sep = pair.IndexOf('=', StringComparison.Ordinal);
                    if (sep <= 0)
                    {
                        throw new FormatException($"--set expects key=value, got '{pair}'");
                    }

                    overrides.Add(new(pair[..sep].Trim(), pair[(sep + 1)..]));
                    break;
                case "--print-config":
                    print = true;
                    break;
                case "--version":
                    version = true;
                    break;
                case "--help" or "-h":
                    help = true;
                    break;
                default:
                    throw new FormatException($"unknown argument '{arg}'");
            }
        }

        return new CommandLine(config, overrides, print, version, help);
    }
}
