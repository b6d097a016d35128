using Microsoft.Extensions.Configuration;

namespace Broker.Host.Configuration.Hocon;

/// <summary>
/// A HOCON document as a Microsoft.Extensions.Configuration source. Dotted keys nest, so
/// <c>socket.request.max.bytes = 100MiB</c> becomes the configuration path
/// <c>socket:request:max:bytes</c>; arrays become <c>key:0</c>, <c>key:1</c>, ...
/// </summary>
public sealed class HoconConfigurationSource : IConfigurationSource
{
    /// <summary>The file to read (includes are relative to it). Null with <see cref="Text"/> null: an empty document.</summary>
    public string? Path { get; set; }

    /// <summary>Inline HOCON, used when <see cref="Path"/> is null.</summary>
    public string? Text { get; set; }

    /// <summary>A missing <see cref="Path"/> is an empty document instead of an error.</summary>
    public bool Optional { get; set; }

    /// <summary>
    /// <c>key=value</c> overrides (the CLI's <c>--set</c>) applied to the document before substitutions
    /// are resolved; each value is a literal string that replaces whatever the document had there.
    /// </summary>
    public IList<KeyValuePair<string, string>> Overrides { get; } = [];

    /// <summary>Environment lookup for substitutions the config does not define (tests replace it).</summary>
    public Func<string, string?> Environment { get; set; } = System.Environment.GetEnvironmentVariable;

    public IConfigurationProvider Build(IConfigurationBuilder builder) => new HoconConfigurationProvider(this);
}

/// <summary>Builder extensions for HOCON sources.</summary>
public static class HoconConfigurationExtensions
{
    /// <summary>Adds a HOCON file, optionally with <c>--set</c>-style overrides.</summary>
    public static IConfigurationBuilder AddHoconFile(
        this IConfigurationBuilder builder, string? path, bool optional = false,
        IEnumerable<KeyValuePair<string, string>>? overrides = null)
    {
        var source = new HoconConfigurationSource { Path = path, Optional = optional };
        foreach (var o in overrides ?? [])
        {
            source.Overrides.Add(o);
        }

        return builder.Add(source);
    }

    /// <summary>Adds inline HOCON text.</summary>
    public static IConfigurationBuilder AddHoconString(this IConfigurationBuilder builder, string text)
        => builder.Add(new HoconConfigurationSource { Text = text });
}
