using System.CommandLine;
using System.Text.Json.Nodes;
using VSwitch.Admin.Client;
using VSwitch.Admin.Client.Resources;
using VSwitch.Cli.Arguments;
using VSwitch.Cli.Output;
using static VSwitch.Cli.Output.Renderer;

namespace VSwitch.Cli.Commands;

/// <summary>
/// <c>port create|set|unset|list|show|delete</c>, with the OpenStack CLI's flags. A port is a device
/// (<c>--device tap:IF[@NETNS]</c>, <c>afpacket:IF</c>) on a network, with its MAC, fixed IPs, allowed address pairs
/// and security groups.
/// </summary>
/// <remarks>
/// <para><b>set and unset</b> read the port first, because the API replaces lists whole: <c>set --security-group G</c>
/// adds G to the port's groups (<c>--no-security-group</c> first clears them, so <c>--no-security-group
/// --security-group G</c> replaces them), and likewise <c>--fixed-ip</c>/<c>--no-fixed-ip</c> and
/// <c>--allowed-address</c>/<c>--no-allowed-address</c>; <c>unset</c> removes the named ones, and naming one the port
/// does not have is an error. The update is one PUT, so it is applied whole or refused whole.</para>
/// <para><b>Without --device</b> a port is created detached (DOWN) and can be attached later with
/// <c>port set --device</c>.</para>
/// </remarks>
internal static class PortCommands
{
    private static readonly string[] s_fixedIpKeys = ["ip-address", "subnet"];
    private static readonly string[] s_pairKeys = ["ip-address", "mac-address"];

    public static readonly Column<Port>[] Columns =
    [
        new("id", "ID", p => Str(p.Id)),
        new("name", "Name", p => Str(p.Name)),
        new("mac_address", "MAC Address", p => Str(p.MacAddress)),
        new("fixed_ips", "Fixed IP Addresses", p => Strings(p.FixedIps.Select(ip => ip.IpAddress ?? ""))),
        new("status", "Status", p => Str(p.Status)),
        new("device", "Device", p => Str(p.Device)),
        new("description", "Description", p => Str(p.Description), Listed: false),
        new("network_id", "Network", p => Str(p.NetworkId), Listed: false),
        new("allowed_address_pairs", "Allowed Address Pairs", p => new JsonArray([.. p.AllowedAddressPairs.Select(a =>
            (JsonNode)new JsonObject { ["ip_address"] = a.IpAddress, ["mac_address"] = a.MacAddress })]), Listed: false),
        new("security_group_ids", "Security Groups", p => Strings(p.SecurityGroups), Listed: false),
        new("port_security_enabled", "Port Security", p => Bool(p.PortSecurityEnabled), Listed: false),
        new("conntrack_limit", "Conntrack Limit", p => p.ConntrackLimit is { } limit ? Num(limit) : Str("default"), Listed: false),
        new("admin_state_up", "State", p => Str(p.AdminStateUp ? "UP" : "DOWN"), Listed: false),
        new("binding_vif_details", "VIF Details", p => new JsonObject([.. (p.VifDetails ?? [])
            .Select(d => KeyValuePair.Create(d.Key, JsonNode.Parse(d.Value.GetRawText())))]), Listed: false),
        new("project_id", "Project", p => Str(p.ProjectId), Listed: false),
        new("revision_number", "Revision", p => Num(p.RevisionNumber), Listed: false),
        new("created_at", "Created At", p => Str(p.CreatedAt), Listed: false),
        new("updated_at", "Updated At", p => Str(p.UpdatedAt), Listed: false),
    ];

    public static Command Build(CliApp app)
    {
        var port = new Command("port", "Manage ports");
        port.Subcommands.Add(CreateVerb(app));
        port.Subcommands.Add(SetVerb(app));
        port.Subcommands.Add(UnsetVerb(app));
        port.Subcommands.Add(ListVerb(app));
        port.Subcommands.Add(ShowVerb(app));
        port.Subcommands.Add(DeleteVerb(app));
        return port;
    }

    private static Command CreateVerb(CliApp app)
    {
        var name = Flags.Name("NAME", "New port's name");
        var network = new Option<string>("--network") { Description = "Network (name or ID)", Required = true, HelpName = "NETWORK" };
        var device = Flags.Text("--device", "Device: tap:IF[@NETNS][?io=uring|syscalls] or afpacket:IF[?rx=v2|v3] (none: created detached)", "DEVICE");
        var mac = Flags.Text("--mac-address", "MAC address (default: a free fa:16:3e:xx:xx:xx)", "MAC");
        var fixedIps = Flags.Many("--fixed-ip", "Fixed IP of the port: an address, a subnet to allocate from, or both (repeat for more)", "subnet=SUBNET,ip-address=IP");
        var groups = Flags.Many("--security-group", "Security group (name or ID; repeat for more; default: the project's default group)", "GROUP");
        var noGroups = Flags.Flag("--no-security-group", "No security group");
        var enableSecurity = Flags.Flag("--enable-port-security", "Enforce security groups and anti-spoofing (default)");
        var disableSecurity = Flags.Flag("--disable-port-security", "No security groups and no anti-spoofing on this port");
        var pairs = Flags.Many("--allowed-address", "Allowed address pair (repeat for more)", "ip-address=CIDR[,mac-address=MAC]");
        var description = Flags.Text("--description", "Description", "TEXT");
        var enable = Flags.Flag("--enable", "Administratively up (default)");
        var disable = Flags.Flag("--disable", "Administratively down");
        var conntrackLimit = ConntrackLimitOption();
        var command = new Command("create", "Create a port")
        {
            name, network, device, mac, fixedIps, groups, noGroups, enableSecurity, disableSecurity, pairs, description, enable, disable, conntrackLimit,
        };
        var output = OutputOptions.AddTo(command);
        app.SetAction(command, async (parse, client, cancellation) =>
        {
            var adminUp = Flags.Either(parse, enable, disable);
            var security = Flags.Either(parse, enableSecurity, disableSecurity);
            var groupNames = parse.GetValue(groups) ?? [];
            if (parse.GetValue(noGroups) && groupNames.Length > 0)
            {
                throw new UsageException("--no-security-group and --security-group are mutually exclusive");
            }
            var ips = await ResolveSubnets(client, FixedIps(parse.GetValue(fixedIps)), cancellation);
            var addressPairs = Pairs(parse.GetValue(pairs));
            var networkId = (await client.FindNetworkAsync(parse.GetValue(network)!, cancellation)).Id;
            var groupIds = parse.GetValue(noGroups) ? [] : groupNames.Length == 0 ? null : await GroupIds(client, groupNames, cancellation);
            var created = await client.CreatePortAsync(new PortRequest
            {
                Name = parse.GetValue(name),
                NetworkId = networkId,
                BindingProfile = parse.GetValue(device) is null && parse.GetValue(conntrackLimit) is null
                    ? null
                    : new BindingProfile { Device = parse.GetValue(device), ConntrackLimit = parse.GetValue(conntrackLimit) },
                MacAddress = parse.GetValue(mac),
                FixedIps = ips.Count == 0 ? null : ips,
                AllowedAddressPairs = addressPairs.Count == 0 ? null : addressPairs,
                SecurityGroups = groupIds,
                PortSecurityEnabled = security,
                Description = parse.GetValue(description),
                AdminStateUp = adminUp,
            }, cancellation);
            Renderer.Show(app.Out, output.Read(parse), Columns, created);
        });
        return command;
    }

    private static Command SetVerb(CliApp app)
    {
        var port = Flags.Name("PORT", "Port (name or ID)");
        var name = Flags.Text("--name", "New name", "NAME");
        var description = Flags.Text("--description", "Description", "TEXT");
        var enable = Flags.Flag("--enable", "Administratively up");
        var disable = Flags.Flag("--disable", "Administratively down");
        var device = Flags.Text("--device", "Device: tap:IF[@NETNS][?io=uring|syscalls] or afpacket:IF[?rx=v2|v3]", "DEVICE");
        var mac = Flags.Text("--mac-address", "MAC address", "MAC");
        var fixedIps = Flags.Many("--fixed-ip", "Add a fixed IP: an address, a subnet to allocate from, or both (repeat for more)", "subnet=SUBNET,ip-address=IP");
        var noFixedIps = Flags.Flag("--no-fixed-ip", "Clear the fixed IPs (before adding any --fixed-ip)");
        var groups = Flags.Many("--security-group", "Add a security group (name or ID; repeat for more)", "GROUP");
        var noGroups = Flags.Flag("--no-security-group", "Clear the security groups (before adding any --security-group)");
        var pairs = Flags.Many("--allowed-address", "Add an allowed address pair (repeat for more)", "ip-address=CIDR[,mac-address=MAC]");
        var noPairs = Flags.Flag("--no-allowed-address", "Clear the allowed address pairs (before adding any --allowed-address)");
        var enableSecurity = Flags.Flag("--enable-port-security", "Enforce security groups and anti-spoofing");
        var disableSecurity = Flags.Flag("--disable-port-security", "Stop enforcing (needs no security groups: add --no-security-group)");
        var conntrackLimit = ConntrackLimitOption();
        var command = new Command("set", "Change a port")
        {
            port, name, description, enable, disable, device, mac, fixedIps, noFixedIps, groups, noGroups, pairs, noPairs, enableSecurity, disableSecurity,
            conntrackLimit,
        };
        app.SetAction(command, async (parse, client, cancellation) =>
        {
            var adminUp = Flags.Either(parse, enable, disable);
            var security = Flags.Either(parse, enableSecurity, disableSecurity);
            var addIps = await ResolveSubnets(client, FixedIps(parse.GetValue(fixedIps)), cancellation);
            var addPairs = Pairs(parse.GetValue(pairs));
            var addGroups = parse.GetValue(groups) ?? [];
            var current = await client.FindPortAsync(parse.GetValue(port)!, cancellation);

            IReadOnlyList<FixedIp>? newIps = null;
            if (parse.GetValue(noFixedIps) || addIps.Count > 0)
            {
                var kept = parse.GetValue(noFixedIps) ? [] : current.FixedIps.Select(ip => new FixedIp { IpAddress = ip.IpAddress });
                newIps = [.. kept.Concat(addIps).DistinctBy(ip => ip.IpAddress)];
            }
            IReadOnlyList<AddressPair>? newPairs = null;
            if (parse.GetValue(noPairs) || addPairs.Count > 0)
            {
                var kept = parse.GetValue(noPairs) ? [] : current.AllowedAddressPairs;
                newPairs = [.. kept.Concat(addPairs).Distinct()];
            }
            IReadOnlyList<string>? newGroups = null;
            if (parse.GetValue(noGroups) || addGroups.Length > 0)
            {
                var kept = parse.GetValue(noGroups) ? [] : current.SecurityGroups;
                newGroups = [.. kept.Concat(await GroupIds(client, addGroups, cancellation)).Distinct()];
            }
            var request = new PortRequest
            {
                Name = parse.GetValue(name),
                Description = parse.GetValue(description),
                AdminStateUp = adminUp,
                // The profile is replaced whole: keep what is not being changed.
                BindingProfile = parse.GetValue(device) is null && parse.GetValue(conntrackLimit) is null
                    ? null
                    : new BindingProfile
                    {
                        Device = parse.GetValue(device) ?? NullIfEmpty(current.Device),
                        ConntrackLimit = parse.GetValue(conntrackLimit) ?? current.ConntrackLimit,
                    },
                MacAddress = parse.GetValue(mac),
                FixedIps = newIps,
                AllowedAddressPairs = newPairs,
                SecurityGroups = newGroups,
                PortSecurityEnabled = security,
            };
            if (request != new PortRequest())
            {
                await client.UpdatePortAsync(current.Id, request, cancellation);
            }
        });
        return command;
    }

    private static Command UnsetVerb(CliApp app)
    {
        var port = Flags.Name("PORT", "Port (name or ID)");
        var fixedIps = Flags.Many("--fixed-ip", "Remove this fixed IP (repeat for more)", "ip-address=IP");
        var groups = Flags.Many("--security-group", "Remove this security group (name or ID; repeat for more)", "GROUP");
        var pairs = Flags.Many("--allowed-address", "Remove this allowed address pair (repeat for more)", "ip-address=CIDR[,mac-address=MAC]");
        var device = Flags.Flag("--device", "Detach the port from its device");
        var conntrackLimit = Flags.Flag("--conntrack-limit", "Give the port the switch's default connection limit again");
        var command = new Command("unset", "Remove fixed IPs, security groups, allowed address pairs, the device or the connection limit from a port")
        {
            port, fixedIps, groups, pairs, device, conntrackLimit,
        };
        app.SetAction(command, async (parse, client, cancellation) =>
        {
            var removeIps = FixedIps(parse.GetValue(fixedIps));
            var removePairs = Pairs(parse.GetValue(pairs));
            var removeGroups = parse.GetValue(groups) ?? [];
            var current = await client.FindPortAsync(parse.GetValue(port)!, cancellation);
            var name = current.Name.Length > 0 ? current.Name : current.Id;

            IReadOnlyList<FixedIp>? newIps = null;
            if (removeIps.Count > 0)
            {
                foreach (var ip in removeIps.Where(r => !current.FixedIps.Any(f => f.IpAddress == r.IpAddress)))
                {
                    throw new CommandException($"port {name} has no fixed IP {ip.IpAddress}");
                }
                newIps = [.. current.FixedIps.Where(f => !removeIps.Any(r => r.IpAddress == f.IpAddress)).Select(f => new FixedIp { IpAddress = f.IpAddress })];
            }
            IReadOnlyList<AddressPair>? newPairs = null;
            if (removePairs.Count > 0)
            {
                static bool Same(AddressPair have, AddressPair named) =>
                    have.IpAddress == named.IpAddress && (named.MacAddress is null || string.Equals(have.MacAddress, named.MacAddress, StringComparison.OrdinalIgnoreCase));
                foreach (var pair in removePairs.Where(r => !current.AllowedAddressPairs.Any(a => Same(a, r))))
                {
                    throw new CommandException($"port {name} has no allowed address pair {pair.IpAddress}");
                }
                newPairs = [.. current.AllowedAddressPairs.Where(a => !removePairs.Any(r => Same(a, r)))];
            }
            IReadOnlyList<string>? newGroups = null;
            if (removeGroups.Length > 0)
            {
                var ids = await GroupIds(client, removeGroups, cancellation);
                foreach (var (id, given) in ids.Zip(removeGroups).Where(g => !current.SecurityGroups.Contains(g.First)))
                {
                    throw new CommandException($"port {name} is not in security group {given}");
                }
                newGroups = [.. current.SecurityGroups.Except(ids)];
            }
            var request = new PortRequest
            {
                FixedIps = newIps,
                AllowedAddressPairs = newPairs,
                SecurityGroups = newGroups,
                BindingProfile = parse.GetValue(device) || parse.GetValue(conntrackLimit)
                    ? new BindingProfile
                    {
                        Device = parse.GetValue(device) ? null : NullIfEmpty(current.Device),
                        ConntrackLimit = parse.GetValue(conntrackLimit) ? null : current.ConntrackLimit,
                    }
                    : null,
            };
            if (request != new PortRequest())
            {
                await client.UpdatePortAsync(current.Id, request, cancellation);
            }
        });
        return command;
    }

    private static Command ListVerb(CliApp app)
    {
        var network = Flags.Text("--network", "Only this network's ports (name or ID)", "NETWORK");
        var command = new Command("list", "List ports") { network };
        var output = OutputOptions.AddTo(command);
        app.SetAction(command, async (parse, client, cancellation) =>
        {
            List<KeyValuePair<string, string>> filters = [];
            if (parse.GetValue(network) is { } n)
            {
                filters.Add(new("network_id", (await client.FindNetworkAsync(n, cancellation)).Id));
            }
            Renderer.List(app.Out, output.Read(parse), Columns, await client.ListPortsAsync(filters, cancellation));
        });
        return command;
    }

    private static Command ShowVerb(CliApp app)
    {
        var port = Flags.Name("PORT", "Port (name or ID)");
        var command = new Command("show", "Show a port") { port };
        var output = OutputOptions.AddTo(command);
        app.SetAction(command, async (parse, client, cancellation) =>
            Renderer.Show(app.Out, output.Read(parse), Columns, await client.FindPortAsync(parse.GetValue(port)!, cancellation)));
        return command;
    }

    private static Command DeleteVerb(CliApp app)
    {
        var ports = Flags.Names("PORT", "Port(s) to delete (name or ID)");
        var command = new Command("delete", "Delete ports") { ports };
        app.SetAction(command, (parse, client, cancellation) => BulkDelete.RunAsync(parse.GetValue(ports)!, "port",
            async p => await client.DeletePortAsync((await client.FindPortAsync(p, cancellation)).Id, cancellation)));
        return command;
    }

    /// <summary>Parses <c>--fixed-ip subnet=SUBNET,ip-address=IP</c> values (either or both); the subnet as typed, see <see cref="ResolveSubnets"/>.</summary>
    internal static List<FixedIp> FixedIps(string[]? values) =>
        [.. (values ?? []).Select(v =>
        {
            var kv = KeyValues.Parse("--fixed-ip", v, s_fixedIpKeys, []);
            return kv.Count > 0
                ? new FixedIp { IpAddress = kv.GetValueOrDefault("ip-address"), SubnetId = kv.GetValueOrDefault("subnet") }
                : throw new UsageException("--fixed-ip needs subnet=SUBNET, ip-address=IP or both");
        })];

    /// <summary>The fixed IPs with each named subnet resolved to its id (a name or an id may be given).</summary>
    private static async Task<List<FixedIp>> ResolveSubnets(VSwitchClient client, List<FixedIp> ips, CancellationToken cancellation)
    {
        var resolved = new List<FixedIp>(ips.Count);
        foreach (var ip in ips)
        {
            resolved.Add(ip.SubnetId is null ? ip : ip with { SubnetId = (await client.FindSubnetAsync(ip.SubnetId, cancellation)).Id });
        }
        return resolved;
    }

    /// <summary>Parses <c>--allowed-address ip-address=CIDR[,mac-address=MAC]</c> values.</summary>
    internal static List<AddressPair> Pairs(string[]? values) =>
        [.. (values ?? []).Select(v =>
        {
            var kv = KeyValues.Parse("--allowed-address", v, s_pairKeys, ["ip-address"]);
            return new AddressPair { IpAddress = kv["ip-address"], MacAddress = kv.GetValueOrDefault("mac-address") };
        })];

    private static async Task<List<string>> GroupIds(VSwitchClient client, IEnumerable<string> names, CancellationToken cancellation)
    {
        var ids = new List<string>();
        foreach (var name in names)
        {
            ids.Add((await client.FindSecurityGroupAsync(name, cancellation)).Id);
        }
        return ids;
    }

    private static Option<int?> ConntrackLimitOption() => new("--conntrack-limit")
    {
        Description = "Most tracked connections the port may have, counted on both ends (0: no limit; default: the switch's conntrack_port_limit)",
        HelpName = "N",
    };

    private static string? NullIfEmpty(string text) => text.Length == 0 ? null : text;
}
