namespace VSwitch.Control.Model;

/// <summary>
/// A Neutron project (tenant) id: an opaque string such as <c>admin</c> or Keystone's 32-hex-digit id.
/// </summary>
/// <remarks>
/// <para><b>Why a type.</b> Neutron stores <c>project_id</c> as a string of at most 255 characters and never
/// interprets it; Keystone ids are 32 lowercase hex digits without dashes, but tokens from other identity setups (and
/// <c>--os-auth-type none</c>) use names. Wrapping the string keeps it from being confused with names and ids of
/// other objects, and gives one place for the validation.</para>
/// <para><b>Comparison</b> is ordinal and case-sensitive, as Neutron's database column. <see cref="None"/> (the empty
/// string, also <c>default</c>) is the project of objects that came from the configuration file rather than from a
/// project's request; no default group is created for it.</para>
/// </remarks>
public readonly record struct ProjectId : IComparable<ProjectId>
{
    /// <summary>Neutron's <c>PROJECT_ID_FIELD_SIZE</c>.</summary>
    public const int MaxLength = 255;

    private readonly string? _value;

    private ProjectId(string value) => _value = value;

    /// <summary>No project (configuration-file objects).</summary>
    public static ProjectId None => default;

    public string Value => _value ?? "";

    public bool IsNone => string.IsNullOrEmpty(_value);

    /// <summary>Accepts any string of 1 to 255 characters without control characters or surrounding blanks.</summary>
    public static bool TryParse(string? text, out ProjectId id)
    {
        id = default;
        if (string.IsNullOrEmpty(text) || text.Length > MaxLength || text.Trim().Length != text.Length
            || text.Any(char.IsControl))
        {
            return false;
        }
        id = new ProjectId(text);
        return true;
    }

    /// <summary>Parses a request's <c>project_id</c> (or <c>tenant_id</c>); a bad value is Neutron's 400.</summary>
    public static ProjectId Parse(string text) =>
        TryParse(text, out var id) ? id : throw NeutronErrors.InvalidAttribute("project_id", $"'{text}' is not a valid project id");

    public int CompareTo(ProjectId other) => string.CompareOrdinal(Value, other.Value);

    public bool Equals(ProjectId other) => string.Equals(Value, other.Value, StringComparison.Ordinal);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Value);

    public override string ToString() => Value;
}
