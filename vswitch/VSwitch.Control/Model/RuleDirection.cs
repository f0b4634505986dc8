namespace VSwitch.Control.Model;

/// <summary>
/// Which traffic a security-group rule allows, seen from the port (the VM): <see cref="Ingress"/> is traffic to the
/// port, matched against its source; <see cref="Egress"/> is traffic from the port, matched against its destination.
/// </summary>
public enum RuleDirection
{
    Ingress,
    Egress,
}

/// <summary>Neutron's spelling of <see cref="RuleDirection"/>.</summary>
public static class RuleDirections
{
    /// <summary><c>ingress</c> or <c>egress</c>.</summary>
    public static string ToNeutron(this RuleDirection direction) => direction == RuleDirection.Ingress ? "ingress" : "egress";

    /// <summary>Exactly <c>ingress</c> or <c>egress</c> (Neutron validates the value as given, case-sensitively).</summary>
    public static bool TryParse(string? text, out RuleDirection direction)
    {
        direction = RuleDirection.Ingress;
        switch (text)
        {
            case "ingress":
                return true;
            case "egress":
                direction = RuleDirection.Egress;
                return true;
            default:
                return false;
        }
    }
}
