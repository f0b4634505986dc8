namespace VSwitch.Control.Model;

/// <summary>
/// A security group that every project gets on first use, next to <c>default</c> (ARCHITECTURE.md §2: shipped as
/// <c>ssh</c>, <c>remote-desktop-protocol</c>, <c>web</c> and <c>icmp</c>; an operator may rename or redefine them).
/// </summary>
/// <remarks>
/// The rules are ordinary rule requests without a group id and are validated exactly like API rules, so a preset
/// cannot hold what the API would refuse; <see cref="ProjectDefaults.ValidatePresets"/> checks a configured list once at
/// start-up. The group also gets the two egress-anywhere rules every new group gets, so the rules here need not (and
/// must not, or they are duplicates) repeat them.
/// </remarks>
/// <param name="Name">The group's name in every project (not <c>default</c>).</param>
/// <param name="Description">The group's description.</param>
/// <param name="Rules">The rules added after the two default egress rules.</param>
public sealed record PresetGroup(string Name, string Description, EquatableArray<SecurityGroupRuleBody> Rules);
