using System.CommandLine;
using VSwitch.Admin.Client.Resources;
using VSwitch.Cli.Output;
using static VSwitch.Cli.Output.Renderer;

namespace VSwitch.Cli.Commands;

/// <summary>
/// <c>address group create|list|show|set|unset|delete</c>, spelled as <c>openstack address group</c>: named sets of
/// CIDRs that rules name with <c>security group rule create --remote-address-group</c>. <c>set --address</c> adds
/// addresses, <c>unset --address</c> removes them.
/// </summary>
internal static class AddressGroupCommands
{
    public static readonly Column<AddressGroup>[] Columns =
    [
        new("id", "ID", g => Str(g.Id)),
        new("name", "Name", g => Str(g.Name)),
        new("description", "Description", g => Str(g.Description)),
        new("addresses", "Addresses", g => Strings(g.Addresses)),
        new("project_id", "Project", g => Str(g.ProjectId)),
        new("revision_number", "Revision", g => Num(g.RevisionNumber), Listed: false),
        new("created_at", "Created At", g => Str(g.CreatedAt), Listed: false),
        new("updated_at", "Updated At", g => Str(g.UpdatedAt), Listed: false),
    ];

    public static Command Build(CliApp app)
    {
        var group = new Command("group", "Manage address groups");
        group.Subcommands.Add(CreateVerb(app));
        group.Subcommands.Add(ListVerb(app));
        group.Subcommands.Add(ShowVerb(app));
        group.Subcommands.Add(SetVerb(app));
        group.Subcommands.Add(UnsetVerb(app));
        group.Subcommands.Add(DeleteVerb(app));
        return new Command("address", "Manage address groups") { group };
    }

    private static Option<string[]> Addresses(string description) => Flags.Many("--address", description, "CIDR");

    private static Command CreateVerb(CliApp app)
    {
        var name = Flags.Name("NAME", "New address group's name");
        var description = Flags.Text("--description", "Description", "TEXT");
        var addresses = Addresses("An address or CIDR (repeat for more)");
        var command = new Command("create", "Create an address group") { name, description, addresses };
        var output = OutputOptions.AddTo(command);
        app.SetAction(command, async (parse, client, cancellation) =>
        {
            var created = await client.CreateAddressGroupAsync(new AddressGroupRequest
            {
                Name = parse.GetValue(name),
                Description = parse.GetValue(description),
                Addresses = [.. parse.GetValue(addresses) ?? []],
            }, cancellation);
            Show(app.Out, output.Read(parse), Columns, created);
        });
        return command;
    }

    private static Command ListVerb(CliApp app)
    {
        var command = new Command("list", "List address groups");
        var output = OutputOptions.AddTo(command);
        app.SetAction(command, async (parse, client, cancellation) =>
            List(app.Out, output.Read(parse), Columns, await client.ListAddressGroupsAsync(cancellation: cancellation)));
        return command;
    }

    private static Command ShowVerb(CliApp app)
    {
        var name = Flags.Name("ADDRESS_GROUP", "Address group (name or ID)");
        var command = new Command("show", "Show an address group") { name };
        var output = OutputOptions.AddTo(command);
        app.SetAction(command, async (parse, client, cancellation) =>
            Show(app.Out, output.Read(parse), Columns, await client.FindAddressGroupAsync(parse.GetValue(name)!, cancellation)));
        return command;
    }

    private static Command SetVerb(CliApp app)
    {
        var name = Flags.Name("ADDRESS_GROUP", "Address group (name or ID)");
        var newName = Flags.Text("--name", "New name", "NAME");
        var description = Flags.Text("--description", "Description", "TEXT");
        var addresses = Addresses("An address or CIDR to add (repeat for more)");
        var command = new Command("set", "Rename, describe or add addresses to an address group") { name, newName, description, addresses };
        app.SetAction(command, async (parse, client, cancellation) =>
        {
            var group = await client.FindAddressGroupAsync(parse.GetValue(name)!, cancellation);
            if (parse.GetValue(newName) is not null || parse.GetValue(description) is not null)
            {
                await client.UpdateAddressGroupAsync(group.Id, new AddressGroupRequest { Name = parse.GetValue(newName), Description = parse.GetValue(description) }, cancellation);
            }
            if (parse.GetValue(addresses) is { Length: > 0 } added)
            {
                await client.AddAddressesAsync(group.Id, added, cancellation);
            }
        });
        return command;
    }

    private static Command UnsetVerb(CliApp app)
    {
        var name = Flags.Name("ADDRESS_GROUP", "Address group (name or ID)");
        var addresses = Addresses("An address or CIDR to remove (repeat for more)");
        var command = new Command("unset", "Remove addresses from an address group") { name, addresses };
        app.SetAction(command, async (parse, client, cancellation) =>
        {
            var removed = parse.GetValue(addresses) ?? [];
            if (removed.Length == 0)
            {
                throw new UsageException("name at least one --address to remove");
            }
            var group = await client.FindAddressGroupAsync(parse.GetValue(name)!, cancellation);
            await client.RemoveAddressesAsync(group.Id, removed, cancellation);
        });
        return command;
    }

    private static Command DeleteVerb(CliApp app)
    {
        var names = Flags.Names("ADDRESS_GROUP", "Address group(s) to delete (name or ID)");
        var command = new Command("delete", "Delete address groups (no rule may name them)") { names };
        app.SetAction(command, (parse, client, cancellation) => BulkDelete.RunAsync(parse.GetValue(names)!, "address group",
            async n => await client.DeleteAddressGroupAsync((await client.FindAddressGroupAsync(n, cancellation)).Id, cancellation)));
        return command;
    }
}
