using System.CommandLine;
using VSwitch.Admin.Client.Resources;
using VSwitch.Cli.Output;
using static VSwitch.Cli.Output.Renderer;

namespace VSwitch.Cli.Commands;

/// <summary><c>network create|list|show|delete</c>: networks are isolated L2 segments that ports attach to.</summary>
internal static class NetworkCommands
{
    public static readonly Column<Network>[] Columns =
    [
        new("id", "ID", n => Str(n.Id)),
        new("name", "Name", n => Str(n.Name)),
        new("status", "Status", n => Str(n.Status)),
        new("description", "Description", n => Str(n.Description), Listed: false),
        new("admin_state_up", "State", n => Str(n.AdminStateUp ? "UP" : "DOWN"), Listed: false),
        new("mtu", "MTU", n => NumOrNull(n.Mtu), Listed: false),
        new("vlan_transparent", "VLAN Transparent", n => n.VlanTransparent is { } v ? Bool(v) : null, Listed: false),
        new("router:external", "Router Type", n => Str(n.External == true ? "External" : "Internal"), Listed: false),
        new("project_id", "Project", n => Str(n.ProjectId), Listed: false),
        new("revision_number", "Revision", n => Num(n.RevisionNumber), Listed: false),
        new("created_at", "Created At", n => Str(n.CreatedAt), Listed: false),
        new("updated_at", "Updated At", n => Str(n.UpdatedAt), Listed: false),
    ];

    public static Command Build(CliApp app)
    {
        var network = new Command("network", "Manage networks");
        network.Subcommands.Add(CreateVerb(app));
        network.Subcommands.Add(ListVerb(app));
        network.Subcommands.Add(ShowVerb(app));
        network.Subcommands.Add(DeleteVerb(app));
        network.Subcommands.Add(RbacCommands.Build(app));
        return network;
    }

    private static Command CreateVerb(CliApp app)
    {
        var name = Flags.Name("NAME", "New network's name");
        var description = Flags.Text("--description", "Description", "TEXT");
        var enable = Flags.Flag("--enable", "Administratively up (default)");
        var disable = Flags.Flag("--disable", "Administratively down");
        var mtu = new Option<int?>("--mtu") { Description = "Largest IP packet the network carries (68-9216; default 1500)", HelpName = "MTU" };
        var transparent = Flags.Flag("--transparent-vlan", "Carry VLAN-tagged frames from ports (default: drop them)");
        var noTransparent = Flags.Flag("--no-transparent-vlan", "Drop VLAN-tagged frames from ports (default)");
        var external = Flags.Flag("--external", "Where the outside is attached: routers' gateways and floating IPs (router:external)");
        var command = new Command("create", "Create a network") { name, description, enable, disable, mtu, transparent, noTransparent, external };
        var output = OutputOptions.AddTo(command);
        app.SetAction(command, async (parse, client, cancellation) =>
        {
            var created = await client.CreateNetworkAsync(new NetworkRequest
            {
                Name = parse.GetValue(name),
                Description = parse.GetValue(description),
                AdminStateUp = Flags.Either(parse, enable, disable),
                Mtu = parse.GetValue(mtu),
                VlanTransparent = Flags.Either(parse, transparent, noTransparent),
                External = parse.GetValue(external) ? true : null,
            }, cancellation);
            Show(app.Out, output.Read(parse), Columns, created);
        });
        return command;
    }

    private static Command ListVerb(CliApp app)
    {
        var command = new Command("list", "List networks");
        var output = OutputOptions.AddTo(command);
        app.SetAction(command, async (parse, client, cancellation) =>
            List(app.Out, output.Read(parse), Columns, await client.ListNetworksAsync(cancellation: cancellation)));
        return command;
    }

    private static Command ShowVerb(CliApp app)
    {
        var name = Flags.Name("NETWORK", "Network (name or ID)");
        var command = new Command("show", "Show a network") { name };
        var output = OutputOptions.AddTo(command);
        app.SetAction(command, async (parse, client, cancellation) =>
            Show(app.Out, output.Read(parse), Columns, await client.FindNetworkAsync(parse.GetValue(name)!, cancellation)));
        return command;
    }

    private static Command DeleteVerb(CliApp app)
    {
        var names = Flags.Names("NETWORK", "Network(s) to delete (name or ID)");
        var command = new Command("delete", "Delete networks (they must have no ports)") { names };
        app.SetAction(command, (parse, client, cancellation) => BulkDelete.RunAsync(parse.GetValue(names)!, "network",
            async n => await client.DeleteNetworkAsync((await client.FindNetworkAsync(n, cancellation)).Id, cancellation)));
        return command;
    }
}
