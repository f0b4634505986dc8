using System.CommandLine;
using System.Text.Json.Nodes;
using VSwitch.Admin.Client;
using VSwitch.Admin.Client.Resources;
using VSwitch.Cli.Arguments;
using VSwitch.Cli.Output;
using static VSwitch.Cli.Output.Renderer;

namespace VSwitch.Cli.Commands;

/// <summary>
/// <c>router create|list|show|set|unset|delete</c> and <c>router add|remove subnet|port</c>, spelled as
/// <c>openstack router</c>: routers the switch runs itself, routing between the subnets they have interfaces on.
/// </summary>
internal static class RouterCommands
{
    private static readonly string[] s_routeKeys = ["destination", "gateway"];

    /// <summary>The router and its interfaces (its ports' addresses), as <c>openstack router show</c> gives them.</summary>
    internal sealed record RouterView(Router Router, IReadOnlyList<Port> Interfaces);

    public static readonly Column<RouterView>[] Columns =
    [
        new("id", "ID", r => Str(r.Router.Id)),
        new("name", "Name", r => Str(r.Router.Name)),
        new("status", "Status", r => Str(r.Router.Status)),
        new("admin_state_up", "State", r => Str(r.Router.AdminStateUp ? "UP" : "DOWN")),
        new("project_id", "Project", r => Str(r.Router.ProjectId)),
        new("interfaces_info", "Interfaces Info", r => new JsonArray([.. r.Interfaces.SelectMany(p => p.FixedIps.Select(ip =>
            (JsonNode)new JsonObject { ["port_id"] = p.Id, ["ip_address"] = ip.IpAddress, ["subnet_id"] = ip.SubnetId }))]), Listed: false),
        new("external_gateway_info", "External Gateway Info", r => r.Router.ExternalGateway is { } g ? new JsonObject
        {
            ["network_id"] = g.NetworkId,
            ["enable_snat"] = g.EnableSnat,
            ["external_fixed_ips"] = new JsonArray([.. (g.ExternalFixedIps ?? []).Select(ip =>
                (JsonNode)new JsonObject { ["subnet_id"] = ip.SubnetId, ["ip_address"] = ip.IpAddress })]),
        } : null, Listed: false),
        new("routes", "Routes", r => new JsonArray([.. r.Router.Routes.Select(x =>
            (JsonNode)new JsonObject { ["destination"] = x.Destination, ["gateway"] = x.NextHop })]), Listed: false),
        new("description", "Description", r => Str(r.Router.Description), Listed: false),
        new("revision_number", "Revision", r => Num(r.Router.RevisionNumber), Listed: false),
        new("created_at", "Created At", r => Str(r.Router.CreatedAt), Listed: false),
        new("updated_at", "Updated At", r => Str(r.Router.UpdatedAt), Listed: false),
    ];

    public static Command Build(CliApp app)
    {
        var router = new Command("router", "Manage routers");
        router.Subcommands.Add(CreateVerb(app));
        router.Subcommands.Add(ListVerb(app));
        router.Subcommands.Add(ShowVerb(app));
        router.Subcommands.Add(SetVerb(app));
        router.Subcommands.Add(UnsetVerb(app));
        router.Subcommands.Add(DeleteVerb(app));
        router.Subcommands.Add(InterfaceVerb(app, add: true));
        router.Subcommands.Add(InterfaceVerb(app, add: false));
        return router;
    }

    private static async Task<RouterView> ViewAsync(VSwitchClient client, Router router, CancellationToken cancellation) =>
        new(router, await client.ListPortsAsync([new("device_id", router.Id)], cancellation));

    private static Command CreateVerb(CliApp app)
    {
        var name = Flags.Name("NAME", "New router's name");
        var description = Flags.Text("--description", "Description", "TEXT");
        var enable = Flags.Flag("--enable", "Route (default)");
        var disable = Flags.Flag("--disable", "Route nothing, answer nothing");
        var command = new Command("create", "Create a router") { name, description, enable, disable };
        var output = OutputOptions.AddTo(command);
        app.SetAction(command, async (parse, client, cancellation) =>
        {
            var router = await client.CreateRouterAsync(new RouterRequest
            {
                Name = parse.GetValue(name),
                Description = parse.GetValue(description),
                AdminStateUp = Flags.Either(parse, enable, disable),
            }, cancellation);
            Show(app.Out, output.Read(parse), Columns, new RouterView(router, []));
        });
        return command;
    }

    private static Command ListVerb(CliApp app)
    {
        var command = new Command("list", "List routers");
        var output = OutputOptions.AddTo(command);
        app.SetAction(command, async (parse, client, cancellation) =>
            List(app.Out, output.Read(parse), Columns, (await client.ListRoutersAsync(null, cancellation)).Select(r => new RouterView(r, []))));
        return command;
    }

    private static Command ShowVerb(CliApp app)
    {
        var name = Flags.Name("ROUTER", "Router (name or ID)");
        var command = new Command("show", "Show a router and its interfaces") { name };
        var output = OutputOptions.AddTo(command);
        app.SetAction(command, async (parse, client, cancellation) =>
            Show(app.Out, output.Read(parse), Columns, await ViewAsync(client, await client.FindRouterAsync(parse.GetValue(name)!, cancellation), cancellation)));
        return command;
    }

    private static Command SetVerb(CliApp app)
    {
        var name = Flags.Name("ROUTER", "Router (name or ID)");
        var newName = Flags.Text("--name", "New name", "NAME");
        var description = Flags.Text("--description", "Description", "TEXT");
        var enable = Flags.Flag("--enable", "Route");
        var disable = Flags.Flag("--disable", "Route nothing, answer nothing");
        var routes = Flags.Many("--route", "Add a route (repeat for more); the gateway must be on one of the router's subnets", "destination=CIDR,gateway=IP");
        var noRoute = Flags.Flag("--no-route", "Clear the routes (before adding any --route)");
        var gateway = Flags.Text("--external-gateway", "Set the gateway on this external network (name or ID)", "NETWORK");
        var disableSnat = Flags.Flag("--disable-snat", "No SNAT on the gateway: ports without a floating IP leave untranslated");
        var enableSnat = Flags.Flag("--enable-snat", "SNAT on the gateway (the default): ports without a floating IP leave from the gateway's address");
        var command = new Command("set", "Change a router") { name, newName, description, enable, disable, routes, noRoute, gateway, disableSnat, enableSnat };
        app.SetAction(command, async (parse, client, cancellation) =>
        {
            if (parse.GetValue(gateway) is null && (parse.GetValue(enableSnat) || parse.GetValue(disableSnat)))
            {
                // As openstack's router set: SNAT is a property of the gateway, set with it.
                throw new UsageException("--enable-snat and --disable-snat need --external-gateway NETWORK");
            }
            var current = await client.FindRouterAsync(parse.GetValue(name)!, cancellation);
            var added = Routes(parse.GetValue(routes));
            var clear = parse.GetValue(noRoute);
            var request = new RouterRequest
            {
                Name = parse.GetValue(newName),
                Description = parse.GetValue(description),
                AdminStateUp = Flags.Either(parse, enable, disable),
                Routes = clear || added.Count > 0 ? [.. (clear ? [] : current.Routes).Concat(added).Distinct()] : null,
                ExternalGateway = parse.GetValue(gateway) is { } network
                    ? new RouterGatewayInfo { NetworkId = (await client.FindNetworkAsync(network, cancellation)).Id, EnableSnat = Flags.Either(parse, enableSnat, disableSnat) }
                    : null,
            };
            if (request != new RouterRequest())
            {
                await client.UpdateRouterAsync(current.Id, request, cancellation);
            }
        });
        return command;
    }

    private static Command UnsetVerb(CliApp app)
    {
        var name = Flags.Name("ROUTER", "Router (name or ID)");
        var routes = Flags.Many("--route", "Remove a route (repeat for more)", "destination=CIDR,gateway=IP");
        var gateway = Flags.Flag("--external-gateway", "Remove the router's gateway");
        var command = new Command("unset", "Remove routes or the gateway from a router") { name, routes, gateway };
        app.SetAction(command, async (parse, client, cancellation) =>
        {
            var current = await client.FindRouterAsync(parse.GetValue(name)!, cancellation);
            var removed = Routes(parse.GetValue(routes));
            if (removed.Count > 0 || parse.GetValue(gateway))
            {
                await client.UpdateRouterAsync(current.Id, new RouterRequest
                {
                    Routes = removed.Count > 0 ? [.. current.Routes.Where(r => !removed.Contains(r))] : null,
                    ClearGateway = parse.GetValue(gateway),
                }, cancellation);
            }
        });
        return command;
    }

    private static Command DeleteVerb(CliApp app)
    {
        var names = Flags.Names("ROUTER", "Router(s) to delete (name or ID); remove their interfaces first");
        var command = new Command("delete", "Delete routers") { names };
        app.SetAction(command, (parse, client, cancellation) => BulkDelete.RunAsync(parse.GetValue(names)!, "router",
            async n => await client.DeleteRouterAsync((await client.FindRouterAsync(n, cancellation)).Id, cancellation)));
        return command;
    }

    /// <summary><c>router add subnet|port ROUTER X</c> or <c>router remove subnet|port ROUTER X</c>.</summary>
    private static Command InterfaceVerb(CliApp app, bool add)
    {
        var verb = new Command(add ? "add" : "remove", add ? "Add an interface to a router" : "Remove an interface from a router");
        foreach (var kind in new[] { "subnet", "port" })
        {
            var router = Flags.Name("ROUTER", "Router (name or ID)");
            var target = Flags.Name(kind.ToUpperInvariant(), $"The {kind} (name or ID)");
            var command = new Command(kind, add
                ? (kind == "subnet" ? "Give the router an interface at the subnet's gateway" : "Make an unused port the router's interface")
                : $"Remove the router's interface on the {kind} (its port is deleted)") { router, target };
            app.SetAction(command, async (parse, client, cancellation) =>
            {
                var routerId = (await client.FindRouterAsync(parse.GetValue(router)!, cancellation)).Id;
                var id = kind == "subnet"
                    ? (await client.FindSubnetAsync(parse.GetValue(target)!, cancellation)).Id
                    : (await client.FindPortAsync(parse.GetValue(target)!, cancellation)).Id;
                var (subnetId, portId) = kind == "subnet" ? (id, (string?)null) : (null, id);
                await (add
                    ? client.AddRouterInterfaceAsync(routerId, subnetId, portId, cancellation)
                    : client.RemoveRouterInterfaceAsync(routerId, subnetId, portId, cancellation));
            });
            verb.Subcommands.Add(command);
        }
        return verb;
    }

    private static List<HostRoute> Routes(string[]? values) =>
        [.. (values ?? []).Select(v =>
        {
            var kv = KeyValues.Parse("--route", v, s_routeKeys, s_routeKeys);
            return new HostRoute { Destination = kv["destination"], NextHop = kv["gateway"] };
        })];
}
