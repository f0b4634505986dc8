using System.CommandLine;
using System.Text.Json.Nodes;
using VSwitch.Admin.Client.Resources;
using VSwitch.Cli.Arguments;
using VSwitch.Cli.Output;
using static VSwitch.Cli.Output.Renderer;

namespace VSwitch.Cli.Commands;

/// <summary>
/// <c>subnet create|list|show|set|unset|delete</c>, spelled as <c>openstack subnet</c>: a network's address ranges, from
/// which ports get their fixed IPs (<c>port create --fixed-ip subnet=S</c>, or none given: one is allocated).
/// </summary>
internal static class SubnetCommands
{
    private static readonly string[] s_poolKeys = ["start", "end"];
    private static readonly string[] s_routeKeys = ["destination", "gateway"];

    public static readonly Column<Subnet>[] Columns =
    [
        new("id", "ID", s => Str(s.Id)),
        new("name", "Name", s => Str(s.Name)),
        new("network_id", "Network", s => Str(s.NetworkId)),
        new("cidr", "Subnet", s => Str(s.Cidr)),
        new("ip_version", "IP Version", s => Num(s.IpVersion), Listed: false),
        new("gateway_ip", "Gateway", s => Str(s.GatewayIp), Listed: false),
        new("allocation_pools", "Allocation Pools", s => Strings(s.AllocationPools.Select(p => $"{p.Start}-{p.End}")), Listed: false),
        new("enable_dhcp", "DHCP", s => Bool(s.EnableDhcp), Listed: false),
        new("dns_nameservers", "DNS Nameservers", s => Strings(s.DnsNameservers), Listed: false),
        new("host_routes", "Host Routes", s => new JsonArray([.. s.HostRoutes.Select(r =>
            (JsonNode)new JsonObject { ["destination"] = r.Destination, ["gateway"] = r.NextHop })]), Listed: false),
        new("ipv6_ra_mode", "IPv6 RA Mode", s => Str(s.Ipv6RaMode), Listed: false),
        new("ipv6_address_mode", "IPv6 Address Mode", s => Str(s.Ipv6AddressMode), Listed: false),
        new("description", "Description", s => Str(s.Description), Listed: false),
        new("project_id", "Project", s => Str(s.ProjectId), Listed: false),
        new("revision_number", "Revision", s => Num(s.RevisionNumber), Listed: false),
        new("created_at", "Created At", s => Str(s.CreatedAt), Listed: false),
        new("updated_at", "Updated At", s => Str(s.UpdatedAt), Listed: false),
    ];

    public static Command Build(CliApp app)
    {
        var subnet = new Command("subnet", "Manage subnets");
        subnet.Subcommands.Add(CreateVerb(app));
        subnet.Subcommands.Add(ListVerb(app));
        subnet.Subcommands.Add(ShowVerb(app));
        subnet.Subcommands.Add(SetVerb(app));
        subnet.Subcommands.Add(DeleteVerb(app));
        return subnet;
    }

    private static Command CreateVerb(CliApp app)
    {
        var name = Flags.Name("NAME", "New subnet's name");
        var network = new Option<string>("--network") { Description = "Network (name or ID)", Required = true, HelpName = "NETWORK" };
        var range = new Option<string>("--subnet-range") { Description = "The subnet's CIDR", Required = true, HelpName = "CIDR" };
        var version = new Option<int?>("--ip-version") { Description = "4 or 6 (default: the CIDR's)", HelpName = "4|6" };
        var gateway = Flags.Text("--gateway", "Gateway address, 'auto' (the first address, default) or 'none'", "IP|auto|none");
        var pools = Flags.Many("--allocation-pool", "Range to allocate from (repeat for more; default: the whole subnet)", "start=IP,end=IP");
        var dns = Flags.Many("--dns-nameserver", "DNS server handed out by DHCP (repeat for more)", "IP");
        var routes = Flags.Many("--host-route", "Static route handed out by DHCP (repeat for more)", "destination=CIDR,gateway=IP");
        var dhcp = Flags.Flag("--dhcp", "Serve DHCP on the subnet (default)");
        var noDhcp = Flags.Flag("--no-dhcp", "No DHCP on the subnet");
        var raMode = Flags.Text("--ipv6-ra-mode", "IPv6 router advertisement mode", "slaac|dhcpv6-stateful|dhcpv6-stateless");
        var addressMode = Flags.Text("--ipv6-address-mode", "IPv6 address mode", "slaac|dhcpv6-stateful|dhcpv6-stateless");
        var description = Flags.Text("--description", "Description", "TEXT");
        var command = new Command("create", "Create a subnet")
        {
            name, network, range, version, gateway, pools, dns, routes, dhcp, noDhcp, raMode, addressMode, description,
        };
        var output = OutputOptions.AddTo(command);
        app.SetAction(command, async (parse, client, cancellation) =>
        {
            var cidr = parse.GetValue(range)!;
            var request = new SubnetRequest
            {
                Name = parse.GetValue(name),
                NetworkId = (await client.FindNetworkAsync(parse.GetValue(network)!, cancellation)).Id,
                Cidr = cidr,
                IpVersion = parse.GetValue(version) ?? (cidr.Contains(':', StringComparison.Ordinal) ? 6 : 4),
                AllocationPools = Pools(parse.GetValue(pools)),
                EnableDhcp = Flags.Either(parse, dhcp, noDhcp),
                DnsNameservers = parse.GetValue(dns) is { Length: > 0 } servers ? [.. servers] : null,
                HostRoutes = Routes(parse.GetValue(routes)),
                Ipv6RaMode = parse.GetValue(raMode),
                Ipv6AddressMode = parse.GetValue(addressMode),
                Description = parse.GetValue(description),
            };
            Show(app.Out, output.Read(parse), Columns, await client.CreateSubnetAsync(Gateway(request, parse.GetValue(gateway)), cancellation));
        });
        return command;
    }

    private static Command ListVerb(CliApp app)
    {
        var network = Flags.Text("--network", "Only this network's subnets (name or ID)", "NETWORK");
        var version = new Option<int?>("--ip-version") { Description = "Only subnets of this IP version", HelpName = "4|6" };
        var command = new Command("list", "List subnets") { network, version };
        var output = OutputOptions.AddTo(command);
        app.SetAction(command, async (parse, client, cancellation) =>
        {
            List<KeyValuePair<string, string>> filters = [];
            if (parse.GetValue(network) is { } n)
            {
                filters.Add(new("network_id", (await client.FindNetworkAsync(n, cancellation)).Id));
            }
            if (parse.GetValue(version) is { } v)
            {
                filters.Add(new("ip_version", v.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            }
            List(app.Out, output.Read(parse), Columns, await client.ListSubnetsAsync(filters, cancellation));
        });
        return command;
    }

    private static Command ShowVerb(CliApp app)
    {
        var name = Flags.Name("SUBNET", "Subnet (name or ID)");
        var command = new Command("show", "Show a subnet") { name };
        var output = OutputOptions.AddTo(command);
        app.SetAction(command, async (parse, client, cancellation) =>
            Show(app.Out, output.Read(parse), Columns, await client.FindSubnetAsync(parse.GetValue(name)!, cancellation)));
        return command;
    }

    private static Command SetVerb(CliApp app)
    {
        var name = Flags.Name("SUBNET", "Subnet (name or ID)");
        var newName = Flags.Text("--name", "New name", "NAME");
        var description = Flags.Text("--description", "Description", "TEXT");
        var gateway = Flags.Text("--gateway", "Gateway address or 'none'", "IP|none");
        var pools = Flags.Many("--allocation-pool", "Add a range to allocate from (repeat for more)", "start=IP,end=IP");
        var noPools = Flags.Flag("--no-allocation-pool", "Clear the ranges (before adding any --allocation-pool)");
        var dns = Flags.Many("--dns-nameserver", "Add a DNS server (repeat for more)", "IP");
        var noDns = Flags.Flag("--no-dns-nameservers", "Clear the DNS servers (before adding any --dns-nameserver)");
        var routes = Flags.Many("--host-route", "Add a static route (repeat for more)", "destination=CIDR,gateway=IP");
        var noRoutes = Flags.Flag("--no-host-route", "Clear the static routes (before adding any --host-route)");
        var dhcp = Flags.Flag("--dhcp", "Serve DHCP on the subnet");
        var noDhcp = Flags.Flag("--no-dhcp", "No DHCP on the subnet");
        var command = new Command("set", "Change a subnet")
        {
            name, newName, description, gateway, pools, noPools, dns, noDns, routes, noRoutes, dhcp, noDhcp,
        };
        app.SetAction(command, async (parse, client, cancellation) =>
        {
            var current = await client.FindSubnetAsync(parse.GetValue(name)!, cancellation);
            List<T>? Merged<T>(bool clear, List<T>? added, List<T> kept) =>
                clear || added is { Count: > 0 } ? [.. (clear ? [] : kept).Concat(added ?? []).Distinct()] : null;
            var request = new SubnetRequest
            {
                Name = parse.GetValue(newName),
                Description = parse.GetValue(description),
                EnableDhcp = Flags.Either(parse, dhcp, noDhcp),
                AllocationPools = Merged(parse.GetValue(noPools), Pools(parse.GetValue(pools)), current.AllocationPools),
                DnsNameservers = Merged(parse.GetValue(noDns), [.. parse.GetValue(dns) ?? []], current.DnsNameservers),
                HostRoutes = Merged(parse.GetValue(noRoutes), Routes(parse.GetValue(routes)), current.HostRoutes),
            };
            request = Gateway(request, parse.GetValue(gateway));
            if (request != new SubnetRequest())
            {
                await client.UpdateSubnetAsync(current.Id, request, cancellation);
            }
        });
        return command;
    }

    private static Command DeleteVerb(CliApp app)
    {
        var names = Flags.Names("SUBNET", "Subnet(s) to delete (name or ID)");
        var command = new Command("delete", "Delete subnets (no port may hold an address in them)") { names };
        app.SetAction(command, (parse, client, cancellation) => BulkDelete.RunAsync(parse.GetValue(names)!, "subnet",
            async n => await client.DeleteSubnetAsync((await client.FindSubnetAsync(n, cancellation)).Id, cancellation)));
        return command;
    }

    /// <summary><c>--gateway</c>: an address, <c>none</c> (JSON null), or <c>auto</c>/absent (the switch's default).</summary>
    private static SubnetRequest Gateway(SubnetRequest request, string? gateway) => gateway switch
    {
        null or "auto" => request,
        "none" => request with { NoGateway = true },
        _ => request with { GatewayIp = gateway },
    };

    private static List<AllocationPool>? Pools(string[]? values) => values is { Length: > 0 }
        ? [.. values.Select(v =>
        {
            var kv = KeyValues.Parse("--allocation-pool", v, s_poolKeys, s_poolKeys);
            return new AllocationPool { Start = kv["start"], End = kv["end"] };
        })]
        : null;

    private static List<HostRoute>? Routes(string[]? values) => values is { Length: > 0 }
        ? [.. values.Select(v =>
        {
            var kv = KeyValues.Parse("--host-route", v, s_routeKeys, s_routeKeys);
            return new HostRoute { Destination = kv["destination"], NextHop = kv["gateway"] };
        })]
        : null;
}
