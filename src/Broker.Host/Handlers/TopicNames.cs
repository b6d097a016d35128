namespace Broker.Host.Handlers;

/// <summary>Kafka's topic name rules: [a-zA-Z0-9._-], 1..249 characters, not "." or "..".</summary>
internal static class TopicNames
{
    public const int MaxLength = 249;

    public static bool IsValid(string name)
    {
        if (name.Length is 0 or > MaxLength || name is "." or "..")
        {
            return false;
        }
        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            {
                return false;
            }
        }
        return true;
    }
}
