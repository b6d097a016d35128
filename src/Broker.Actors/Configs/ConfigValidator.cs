using System.Globalization;

namespace Broker.Actors.Configs;

/// <summary>
/// Checks a parsed value (Kafka's <c>ConfigDef.Validator</c>). Returns <c>null</c> when the value is
/// fine, otherwise the reason (without the key; <see cref="ConfigDef"/> prefixes it). Null values are
/// not passed in: a key either has a null default or is required.
/// </summary>
public abstract class ConfigValidator
{
    /// <summary>The reason the value is invalid, or <c>null</c>.</summary>
    public abstract string? Validate(object value);

    /// <summary>What the validator accepts, for documentation (<c>[1,...]</c>, <c>[delete, compact]</c>).</summary>
    public abstract override string ToString();

    /// <summary>A numeric value at least <paramref name="min"/>.</summary>
    public static ConfigValidator AtLeast(decimal min) => new RangeValidator(min, null);

    /// <summary>A numeric value in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static ConfigValidator Between(decimal min, decimal max) => new RangeValidator(min, max);

    /// <summary>A string that is one of <paramref name="allowed"/> (case-sensitive, as Kafka's ValidString).</summary>
    public static ConfigValidator In(params string[] allowed) => new ValidStringValidator(allowed);

    /// <summary>A list whose every item is one of <paramref name="allowed"/>.</summary>
    public static ConfigValidator ListOf(bool allowEmpty, params string[] allowed) => new ValidListValidator(allowed, allowEmpty);

    /// <summary>A list with at least one item.</summary>
    public static ConfigValidator NonEmptyList() => new ValidListValidator(null, allowEmpty: false);

    /// <summary>A non-empty string.</summary>
    public static ConfigValidator NonEmptyString() => new LambdaValidator(
        v => string.IsNullOrWhiteSpace((string)v) ? "must not be empty" : null, "non-empty string");

    /// <summary>A validator from a function returning the reason or null.</summary>
    public static ConfigValidator Of(Func<object, string?> validate, string description)
        => new LambdaValidator(validate, description);

    private sealed class RangeValidator(decimal? min, decimal? max) : ConfigValidator
    {
        public override string? Validate(object value)
        {
            var d = Convert.ToDecimal(value, CultureInfo.InvariantCulture);
            if (min is { } lo && d < lo)
            {
                return $"value {Format(value)} must be at least {lo.ToString(CultureInfo.InvariantCulture)}";
            }

            if (max is { } hi && d > hi)
            {
                return $"value {Format(value)} must be at most {hi.ToString(CultureInfo.InvariantCulture)}";
            }

            return null;
        }

        public override string ToString()
            => $"[{min?.ToString(CultureInfo.InvariantCulture) ?? "..."},...{(max is { } hi ? "," + hi.ToString(CultureInfo.InvariantCulture) : "")}]";

        private static string Format(object value) => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
    }

    private sealed class ValidStringValidator(string[] allowed) : ConfigValidator
    {
        public override string? Validate(object value)
            => Array.IndexOf(allowed, (string)value) >= 0
                ? null
                : $"'{value}' is not one of [{string.Join(", ", allowed)}]";

        public override string ToString() => $"[{string.Join(", ", allowed)}]";
    }

    private sealed class ValidListValidator(string[]? allowed, bool allowEmpty) : ConfigValidator
    {
        public override string? Validate(object value)
        {
            var list = (IReadOnlyList<string>)value;
            if (!allowEmpty && list.Count == 0)
            {
                return "must not be empty";
            }

            if (allowed is null)
            {
                return null;
            }

            foreach (var item in list)
            {
                if (Array.IndexOf(allowed, item) < 0)
                {
                    return $"'{item}' is not one of [{string.Join(", ", allowed)}]";
                }
            }

            return null;
        }

        public override string ToString()
            => allowed is null ? "non-empty list" : $"[{string.Join(", ", allowed)}]";
    }

    private sealed class LambdaValidator(Func<object, string?> validate, string description) : ConfigValidator
    {
        public override string? Validate(object value) => validate(value);

        public override string ToString() => description;
    }
}
