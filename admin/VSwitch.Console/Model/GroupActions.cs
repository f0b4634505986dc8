using VSwitch.Admin.Client;
using VSwitch.Admin.Client.Resources;

namespace VSwitch.Console.Model;

/// <summary>
/// The changes the groups screen makes, each one API request, each answering the <see cref="Message"/> to show.
/// </summary>
/// <remarks>
/// Nothing is half-applied: every action is a single request the API applies atomically (a rule create, a group
/// create or delete, one port update carrying the port's whole new group list); the API checks the rule. A refusal (the API's NeutronError, or an unreachable
/// daemon) becomes an error message shown in place; no exception escapes.
/// </remarks>
public sealed class GroupActions(VSwitchClient client)
{
    /// <summary>Creates a group; on success Created is its id (the screen selects it).</summary>
    public async Task<(Message Message, string? Created)> CreateGroupAsync(string name, bool stateful, CancellationToken cancellation)
    {
        try
        {
            var group = await client.CreateSecurityGroupAsync(new SecurityGroupRequest { Name = name, Stateful = stateful }, cancellation);
            return (Message.Info($"created group {group.Name} ({group.Rules.Count} default rules)"), group.Id);
        }
        catch (VSwitchClientException ex)
        {
            return (Message.From($"create group {name}", ex), null);
        }
    }

    public async Task<Message> DeleteGroupAsync(SecurityGroup group, CancellationToken cancellation)
    {
        try
        {
            await client.DeleteSecurityGroupAsync(group.Id, cancellation);
            return Message.Info($"deleted group {group.Name}");
        }
        catch (VSwitchClientException ex)
        {
            return Message.From($"delete group {group.Name}", ex);
        }
    }

    /// <summary>
    /// Creates the rule <paramref name="request"/> of <paramref name="group"/>: the message to show, and the API's
    /// refusal when there was one (the add-rule dialog puts it at the field it is about).
    /// </summary>
    public async Task<(Message Message, VSwitchClientException? Refused)> CreateRuleAsync(SwitchSnapshot snapshot, SecurityGroup group,
        SecurityGroupRuleRequest request, CancellationToken cancellation)
    {
        try
        {
            var created = await client.CreateSecurityGroupRuleAsync(request, cancellation);
            return (Message.Info($"added to {group.Name}: {RuleSpec.Describe(created, snapshot.GroupName)}"), null);
        }
        catch (VSwitchClientException ex)
        {
            return (Message.From("rule not added", ex), ex);
        }
    }

    public async Task<Message> DeleteRuleAsync(SecurityGroup group, RuleRow row, CancellationToken cancellation)
    {
        try
        {
            await client.DeleteSecurityGroupRuleAsync(row.Rule.Id, cancellation);
            return Message.Info($"deleted rule {row.Number} of {group.Name}: {row.Text}");
        }
        catch (VSwitchClientException ex)
        {
            return Message.From($"delete rule {row.Number}", ex);
        }
    }

    /// <summary>How many times an attach is tried when the port keeps changing between its read and its update.</summary>
    internal const int AttachTries = 3;

    /// <summary>
    /// Adds (or with <paramref name="attach"/> false removes) <paramref name="group"/> to the port's groups, in one
    /// update. The port's groups are read again just before (not taken from the last refresh), and the update applies
    /// only while the port is still at the revision read (<c>If-Match: revision_number=N</c>): when another operator
    /// or tool changed the port in between, the update is refused, and the port is read and updated again, so their
    /// change is kept, never overwritten.
    /// </summary>
    public async Task<Message> SetAttachedAsync(SecurityGroup group, Port port, bool attach, CancellationToken cancellation)
    {
        var doing = attach ? $"attach {group.Name} to {port.Name}" : $"detach {group.Name} from {port.Name}";
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var now = await client.GetPortAsync(port.Id, cancellation);
                var groups = now.SecurityGroups.Where(g => g != group.Id).ToList();
                if (attach)
                {
                    groups.Add(group.Id);
                }
                await client.UpdatePortAsync(port.Id, new PortRequest { SecurityGroups = groups }, now.RevisionNumber, cancellation);
                return Message.Info(attach ? $"attached {group.Name} to {port.Name}" : $"detached {group.Name} from {port.Name}");
            }
            catch (VSwitchApiException ex) when (ex.StatusCode == 412 && attempt < AttachTries)
            {
                // The port changed between the read and the update: read it again.
            }
            catch (VSwitchClientException ex)
            {
                return Message.From(doing, ex);
            }
        }
    }
}
