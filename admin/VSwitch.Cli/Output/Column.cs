using System.Text.Json.Nodes;

namespace VSwitch.Cli.Output;

/// <summary>
/// One attribute of a resource as vswitchctl shows it: the attribute's key (the field name in <c>show</c> and in
/// <c>-f json</c> of <c>show</c>), the list header (as the OpenStack CLI's, e.g. <c>Fixed IP Addresses</c>), and how to
/// read it. <see cref="Listed"/> columns make up <c>list</c>'s default table; <c>-c</c> may pick any column by key or
/// header.
/// </summary>
internal sealed record Column<T>(string Key, string Header, Func<T, JsonNode?> Value, bool Listed = true)
{
    public bool Matches(string name) =>
        string.Equals(name, Key, StringComparison.OrdinalIgnoreCase) || string.Equals(name, Header, StringComparison.OrdinalIgnoreCase);
}
