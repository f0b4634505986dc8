using System.CommandLine;
using System.Globalization;
using VSwitch.Admin.Client;
using VSwitch.Admin.Client.Resources;
using VSwitch.Cli.Arguments;
using VSwitch.Cli.Output;
using static VSwitch.Cli.Output.Renderer;

namespace VSwitch.Cli.Commands;

/// <summary>
/// <c>security group rule create|list|show|delete</c>. Rules are immutable (as in Neutron): change one by deleting
/// it and creating another.
/// </summary>
/// <remarks>
/// <para><b>Create</b> follows the OpenStack CLI: <c>--ingress</c> is the default direction; <c>--dst-port N[:M]</c>
/// is the TCP/UDP port range; for ICMP, <c>--icmp-type</c> and <c>--icmp-code</c> travel as
/// <c>port_range_min</c>/<c>port_range_max</c>; <c>--protocol any</c> means no protocol; without <c>--ethertype</c> it is
/// IPv6 when <c>--remote-ip</c> is an IPv6 prefix or the protocol is ICMPv6, else IPv4. <c>--remote-ip</c> and
/// <c>--remote-group</c> exclude each other; neither means any source (or destination, for egress).</para>
/// </remarks>
internal static class SecurityGroupRuleCommands
{
    public static readonly Column<SecurityGroupRule>[] Columns =
    [
        new("id", "ID", r => Str(r.Id)),
        new("protocol", "IP Protocol", r => Str(r.Protocol)),
        new("ethertype", "Ethertype", r => Str(r.Ethertype)),
        new("remote_ip_prefix", "IP Range", r => Str(r.RemoteIpPrefix)),
        new("port_range", "Port Range", r => Str(PortRangeText(r))),
        new("direction", "Direction", r => Str(r.Direction)),
        new("remote_group_id", "Remote Security Group", r => Str(r.RemoteGroupId)),
        new("remote_address_group_id", "Remote Address Group", r => Str(r.RemoteAddressGroupId), Listed: false),
        new("security_group_id", "Security Group", r => Str(r.SecurityGroupId)),
        new("port_range_min", "Port Range Min", r => NumOrNull(r.PortRangeMin), Listed: false),
        new("port_range_max", "Port Range Max", r => NumOrNull(r.PortRangeMax), Listed: false),
        new("description", "Description", r => Str(r.Description), Listed: false),
        new("project_id", "Project", r => Str(r.ProjectId), Listed: false),
        new("revision_number", "Revision", r => Num(r.RevisionNumber), Listed: false),
        new("created_at", "Created At", r => Str(r.CreatedAt), Listed: false),
        new("updated_at", "Updated At", r => Str(r.UpdatedAt), Listed: false),
    ];

    public static Command Build(CliApp app)
    {
        var rule = new Command("rule", "Manage security group rules");
        rule.Subcommands.Add(CreateVerb(app));
        rule.Subcommands.Add(ListVerb(app));
        rule.Subcommands.Add(ShowVerb(app));
        rule.Subcommands.Add(DeleteVerb(app));
        return rule;
    }

    /// <summary>A rule in one line, for a group's <c>show</c>: <c>ingress IPv4 tcp 22:22 from 198.18.0.0/15</c>.</summary>
    public static string Summary(SecurityGroupRule r)
    {
        var parts = new List<string> { r.Direction, r.Ethertype, r.Protocol ?? "any" };
        if (PortRangeText(r) is { } range)
        {
            parts.Add(range);
        }
        var peer = r.Direction == "egress" ? "to" : "from";
        if (r.RemoteIpPrefix is { } prefix)
        {
            parts.Add($"{peer} {prefix}");
        }
        else if (r.RemoteGroupId is { } group)
        {
            parts.Add($"{peer} group {group}");
        }
        else if (r.RemoteAddressGroupId is { } addresses)
        {
            parts.Add($"{peer} address group {addresses}");
        }
        parts.Add($"({r.Id})");
        return string.Join(' ', parts);
    }

    /// <summary><c>MIN:MAX</c> for TCP/UDP ports; <c>type=T[,code=C]</c> for ICMP; null when the rule has no range.</summary>
    public static string? PortRangeText(SecurityGroupRule r)
    {
        if (r.PortRangeMin is null && r.PortRangeMax is null)
        {
            return null;
        }
        if (r.Protocol is "icmp" or "icmpv6" or "ipv6-icmp" or "1" or "58")
        {
            return r.PortRangeMax is { } code ? $"type={r.PortRangeMin},code={code}" : $"type={r.PortRangeMin}";
        }
        return string.Create(CultureInfo.InvariantCulture, $"{r.PortRangeMin}:{r.PortRangeMax}");
    }

    private static Command CreateVerb(CliApp app)
    {
        var group = Flags.Name("GROUP", "Security group the rule belongs to (name or ID)");
        var ingress = Flags.Flag("--ingress", "Rule for traffic to the port (default)");
        var egress = Flags.Flag("--egress", "Rule for traffic from the port");
        var ethertype = Flags.Text("--ethertype", "IPv4 or IPv6 (default: from --remote-ip or --protocol, else IPv4)", "IPv4|IPv6");
        ethertype.AcceptOnlyFromAmong("IPv4", "IPv6");
        var protocol = Flags.Text("--protocol", "tcp, udp, icmp, icmpv6, a protocol number, or any (default any)", "PROTOCOL");
        var dstPort = Flags.Text("--dst-port", "Destination port or range (TCP/UDP)", "PORT[:PORT]");
        var icmpType = new Option<int?>("--icmp-type") { Description = "ICMP type", HelpName = "TYPE" };
        var icmpCode = new Option<int?>("--icmp-code") { Description = "ICMP code (needs --icmp-type)", HelpName = "CODE" };
        var remoteIp = Flags.Text("--remote-ip", "Remote address prefix (default: any)", "CIDR");
        var remoteGroup = Flags.Text("--remote-group", "Remote security group (name or ID)", "GROUP");
        var remoteAddressGroup = Flags.Text("--remote-address-group", "Remote address group (name or ID)", "ADDRESS_GROUP");
        var description = Flags.Text("--description", "Description", "TEXT");
        var command = new Command("create", "Create a security group rule")
        {
            group, ingress, egress, ethertype, protocol, dstPort, icmpType, icmpCode, remoteIp, remoteGroup, remoteAddressGroup, description,
        };
        var output = OutputOptions.AddTo(command);
        app.SetAction(command, async (parse, client, cancellation) =>
        {
            var request = await ReadRule(parse, client, cancellation);
            var created = await client.CreateSecurityGroupRuleAsync(request with
            {
                SecurityGroupId = (await client.FindSecurityGroupAsync(parse.GetValue(group)!, cancellation)).Id,
            }, cancellation);
            Show(app.Out, output.Read(parse), Columns, created);
        });
        return command;

        async Task<SecurityGroupRuleRequest> ReadRule(ParseResult parse, VSwitchClient client, CancellationToken cancellation)
        {
            var direction = Flags.Either(parse, ingress, egress) == false ? "egress" : "ingress";
            var proto = parse.GetValue(protocol);
            if (string.Equals(proto, "any", StringComparison.OrdinalIgnoreCase))
            {
                proto = null;
            }
            var ports = parse.GetValue(dstPort) is { } d ? PortRange.Parse(d) : (PortRange?)null;
            var type = parse.GetValue(icmpType);
            var code = parse.GetValue(icmpCode);
            if (ports is not null && (type is not null || code is not null))
            {
                throw new UsageException("--dst-port and --icmp-type/--icmp-code are mutually exclusive");
            }
            if (code is not null && type is null)
            {
                throw new UsageException("--icmp-code needs --icmp-type");
            }
            var ip = parse.GetValue(remoteIp);
            var remote = parse.GetValue(remoteGroup);
            var remoteAddresses = parse.GetValue(remoteAddressGroup);
            if ((ip is not null ? 1 : 0) + (remote is not null ? 1 : 0) + (remoteAddresses is not null ? 1 : 0) > 1)
            {
                throw new UsageException(remoteAddresses is null
                    ? "--remote-ip and --remote-group are mutually exclusive"
                    : "--remote-ip, --remote-group and --remote-address-group are mutually exclusive");
            }
            var ether = parse.GetValue(ethertype)
                ?? (ip?.Contains(':') == true || proto is "icmpv6" or "ipv6-icmp" or "58" ? "IPv6" : "IPv4");
            return new SecurityGroupRuleRequest
            {
                Direction = direction,
                Ethertype = ether,
                Protocol = proto,
                PortRangeMin = ports?.Min ?? type,
                PortRangeMax = ports?.Max ?? code,
                RemoteIpPrefix = ip,
                RemoteGroupId = remote is null ? null : (await client.FindSecurityGroupAsync(remote, cancellation)).Id,
                RemoteAddressGroupId = remoteAddresses is null ? null : (await client.FindAddressGroupAsync(remoteAddresses, cancellation)).Id,
                Description = parse.GetValue(description),
            };
        }
    }

    private static Command ListVerb(CliApp app)
    {
        var group = new Argument<string?>("GROUP") { Description = "Only this group's rules (name or ID)", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("list", "List security group rules") { group };
        var output = OutputOptions.AddTo(command);
        app.SetAction(command, async (parse, client, cancellation) =>
        {
            List<KeyValuePair<string, string>> filters = [];
            if (parse.GetValue(group) is { } g)
            {
                filters.Add(new("security_group_id", (await client.FindSecurityGroupAsync(g, cancellation)).Id));
            }
            List(app.Out, output.Read(parse), Columns, await client.ListSecurityGroupRulesAsync(filters, cancellation));
        });
        return command;
    }

    private static Command ShowVerb(CliApp app)
    {
        var rule = Flags.Name("RULE", "Rule ID");
        var command = new Command("show", "Show a security group rule") { rule };
        var output = OutputOptions.AddTo(command);
        app.SetAction(command, async (parse, client, cancellation) =>
            Show(app.Out, output.Read(parse), Columns, await client.GetSecurityGroupRuleAsync(parse.GetValue(rule)!, cancellation)));
        return command;
    }

    private static Command DeleteVerb(CliApp app)
    {
        var rules = Flags.Names("RULE", "Rule ID(s) to delete");
        var command = new Command("delete", "Delete security group rules") { rules };
        app.SetAction(command, (parse, client, cancellation) =>
            BulkDelete.RunAsync(parse.GetValue(rules)!, "rule", r => client.DeleteSecurityGroupRuleAsync(r, cancellation)));
        return command;
    }
}
