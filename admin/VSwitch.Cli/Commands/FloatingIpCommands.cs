using System.CommandLine;
using VSwitch.Admin.Client.Resources;
using VSwitch.Cli.Output;
using static VSwitch.Cli.Output.Renderer;

namespace VSwitch.Cli.Commands;

/// <summary>
/// <c>floating ip create|list|show|set|unset|delete</c>, spelled as <c>openstack floating ip</c>: external addresses a
/// router translates 1:1 to a port's fixed IP. A floating IP is named by its id or its address.
/// </summary>
internal static class FloatingIpCommands
{
    public static readonly Column<FloatingIp>[] Columns =
    [
        new("id", "ID", f => Str(f.Id)),
        new("floating_ip_address", "Floating IP Address", f => Str(f.FloatingIpAddress)),
        new("fixed_ip_address", "Fixed IP Address", f => Str(f.FixedIpAddress)),
        new("port_id", "Port", f => Str(f.PortId)),
        new("floating_network_id", "Floating Network", f => Str(f.FloatingNetworkId)),
        new("router_id", "Router", f => Str(f.RouterId), Listed: false),
        new("status", "Status", f => Str(f.Status), Listed: false),
        new("description", "Description", f => Str(f.Description), Listed: false),
        new("project_id", "Project", f => Str(f.ProjectId), Listed: false),
        new("revision_number", "Revision", f => Num(f.RevisionNumber), Listed: false),
    ];

    public static Command Build(CliApp app)
    {
        var ip = new Command("ip", "Manage floating IPs");
        ip.Subcommands.Add(CreateVerb(app));
        ip.Subcommands.Add(ListVerb(app));
        ip.Subcommands.Add(ShowVerb(app));
        ip.Subcommands.Add(SetVerb(app));
        ip.Subcommands.Add(UnsetVerb(app));
        ip.Subcommands.Add(DeleteVerb(app));
        return new Command("floating", "Manage floating IPs") { ip };
    }

    private static Command CreateVerb(CliApp app)
    {
        var network = Flags.Name("NETWORK", "External network to take the address from (name or ID)");
        var address = Flags.Text("--floating-ip-address", "The address (default: one allocated)", "IP");
        var subnet = Flags.Text("--subnet", "External subnet to allocate from (name or ID)", "SUBNET");
        var port = Flags.Text("--port", "Port to translate to (name or ID)", "PORT");
        var fixedIp = Flags.Text("--fixed-ip-address", "Which fixed IP of the port (when it has several)", "IP");
        var description = Flags.Text("--description", "Description", "TEXT");
        var command = new Command("create", "Create a floating IP") { network, address, subnet, port, fixedIp, description };
        var output = OutputOptions.AddTo(command);
        app.SetAction(command, async (parse, client, cancellation) =>
        {
            var request = new FloatingIpRequest
            {
                FloatingNetworkId = (await client.FindNetworkAsync(parse.GetValue(network)!, cancellation)).Id,
                FloatingIpAddress = parse.GetValue(address),
                SubnetId = parse.GetValue(subnet) is { } s ? (await client.FindSubnetAsync(s, cancellation)).Id : null,
                PortId = parse.GetValue(port) is { } p ? (await client.FindPortAsync(p, cancellation)).Id : null,
                FixedIpAddress = parse.GetValue(fixedIp),
                Description = parse.GetValue(description),
            };
            Show(app.Out, output.Read(parse), Columns, await client.CreateFloatingIpAsync(request, cancellation));
        });
        return command;
    }

    private static Command ListVerb(CliApp app)
    {
        var port = Flags.Text("--port", "Only the port's floating IPs (name or ID)", "PORT");
        var command = new Command("list", "List floating IPs") { port };
        var output = OutputOptions.AddTo(command);
        app.SetAction(command, async (parse, client, cancellation) =>
        {
            List<KeyValuePair<string, string>> filters = [];
            if (parse.GetValue(port) is { } p)
            {
                filters.Add(new("port_id", (await client.FindPortAsync(p, cancellation)).Id));
            }
            List(app.Out, output.Read(parse), Columns, await client.ListFloatingIpsAsync(filters, cancellation));
        });
        return command;
    }

    private static Command ShowVerb(CliApp app)
    {
        var name = Flags.Name("FLOATING_IP", "Floating IP (address or ID)");
        var command = new Command("show", "Show a floating IP") { name };
        var output = OutputOptions.AddTo(command);
        app.SetAction(command, async (parse, client, cancellation) =>
            Show(app.Out, output.Read(parse), Columns, await client.FindFloatingIpAsync(parse.GetValue(name)!, cancellation)));
        return command;
    }

    private static Command SetVerb(CliApp app)
    {
        var name = Flags.Name("FLOATING_IP", "Floating IP (address or ID)");
        var port = Flags.Text("--port", "Associate it with this port (name or ID)", "PORT");
        var fixedIp = Flags.Text("--fixed-ip-address", "Which fixed IP of the port (when it has several)", "IP");
        var description = Flags.Text("--description", "Description", "TEXT");
        var command = new Command("set", "Associate a floating IP with a port, or change its description") { name, port, fixedIp, description };
        app.SetAction(command, async (parse, client, cancellation) =>
        {
            var fip = await client.FindFloatingIpAsync(parse.GetValue(name)!, cancellation);
            var request = new FloatingIpRequest
            {
                PortId = parse.GetValue(port) is { } p ? (await client.FindPortAsync(p, cancellation)).Id : null,
                FixedIpAddress = parse.GetValue(fixedIp),
                Description = parse.GetValue(description),
            };
            if (request != new FloatingIpRequest())
            {
                await client.UpdateFloatingIpAsync(fip.Id, request, cancellation);
            }
        });
        return command;
    }

    private static Command UnsetVerb(CliApp app)
    {
        var name = Flags.Name("FLOATING_IP", "Floating IP (address or ID)");
        var port = Flags.Flag("--port", "Disassociate it from its port (its connections are cut)");
        var command = new Command("unset", "Disassociate a floating IP") { name, port };
        app.SetAction(command, async (parse, client, cancellation) =>
        {
            var fip = await client.FindFloatingIpAsync(parse.GetValue(name)!, cancellation);
            if (parse.GetValue(port))
            {
                await client.UpdateFloatingIpAsync(fip.Id, new FloatingIpRequest { Disassociate = true }, cancellation);
            }
        });
        return command;
    }

    private static Command DeleteVerb(CliApp app)
    {
        var names = Flags.Names("FLOATING_IP", "Floating IP(s) to delete (address or ID)");
        var command = new Command("delete", "Delete floating IPs") { names };
        app.SetAction(command, (parse, client, cancellation) => BulkDelete.RunAsync(parse.GetValue(names)!, "floating IP",
            async n => await client.DeleteFloatingIpAsync((await client.FindFloatingIpAsync(n, cancellation)).Id, cancellation)));
        return command;
    }
}
