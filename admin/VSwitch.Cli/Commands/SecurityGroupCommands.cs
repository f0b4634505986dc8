using System.CommandLine;
using VSwitch.Admin.Client.Resources;
using VSwitch.Cli.Output;
using static VSwitch.Cli.Output.Renderer;

namespace VSwitch.Cli.Commands;

/// <summary>
/// <c>security group create|list|show|set|delete</c> and, under it, <c>security group rule ...</c>
/// (<see cref="SecurityGroupRuleCommands"/>). A group is stateful unless created <c>--stateless</c>.
/// </summary>
internal static class SecurityGroupCommands
{
    public static readonly Column<SecurityGroup>[] Columns =
    [
        new("id", "ID", g => Str(g.Id)),
        new("name", "Name", g => Str(g.Name)),
        new("description", "Description", g => Str(g.Description)),
        new("stateful", "Stateful", g => Bool(g.Stateful)),
        new("rules", "Rules", g => Strings(g.Rules.Select(SecurityGroupRuleCommands.Summary)), Listed: false),
        new("project_id", "Project", g => Str(g.ProjectId)),
        new("revision_number", "Revision", g => Num(g.RevisionNumber), Listed: false),
        new("created_at", "Created At", g => Str(g.CreatedAt), Listed: false),
        new("updated_at", "Updated At", g => Str(g.UpdatedAt), Listed: false),
    ];

    public static Command Build(CliApp app)
    {
        var group = new Command("group", "Manage security groups");
        group.Subcommands.Add(CreateVerb(app));
        group.Subcommands.Add(ListVerb(app));
        group.Subcommands.Add(ShowVerb(app));
        group.Subcommands.Add(SetVerb(app));
        group.Subcommands.Add(DeleteVerb(app));
        group.Subcommands.Add(SecurityGroupRuleCommands.Build(app));
        return new Command("security", "Manage security groups and their rules") { group };
    }

    private static Command CreateVerb(CliApp app)
    {
        var name = Flags.Name("NAME", "New group's name");
        var description = Flags.Text("--description", "Description", "TEXT");
        var stateful = Flags.Flag("--stateful", "Track connections: replies to allowed traffic are allowed (default)");
        var stateless = Flags.Flag("--stateless", "No connection tracking: every direction needs its own rules");
        var command = new Command("create", "Create a security group (with the default egress rules)") { name, description, stateful, stateless };
        var output = OutputOptions.AddTo(command);
        app.SetAction(command, async (parse, client, cancellation) =>
        {
            var created = await client.CreateSecurityGroupAsync(new SecurityGroupRequest
            {
                Name = parse.GetValue(name),
                Description = parse.GetValue(description),
                Stateful = Flags.Either(parse, stateful, stateless),
            }, cancellation);
            Show(app.Out, output.Read(parse), Columns, created);
        });
        return command;
    }

    private static Command ListVerb(CliApp app)
    {
        var command = new Command("list", "List security groups");
        var output = OutputOptions.AddTo(command);
        app.SetAction(command, async (parse, client, cancellation) =>
            List(app.Out, output.Read(parse), Columns, await client.ListSecurityGroupsAsync(cancellation: cancellation)));
        return command;
    }

    private static Command ShowVerb(CliApp app)
    {
        var group = Flags.Name("GROUP", "Security group (name or ID)");
        var command = new Command("show", "Show a security group and its rules") { group };
        var output = OutputOptions.AddTo(command);
        app.SetAction(command, async (parse, client, cancellation) =>
            Show(app.Out, output.Read(parse), Columns, await client.FindSecurityGroupAsync(parse.GetValue(group)!, cancellation)));
        return command;
    }

    private static Command SetVerb(CliApp app)
    {
        var group = Flags.Name("GROUP", "Security group (name or ID)");
        var name = Flags.Text("--name", "New name", "NAME");
        var description = Flags.Text("--description", "Description", "TEXT");
        var stateful = Flags.Flag("--stateful", "Track connections");
        var stateless = Flags.Flag("--stateless", "No connection tracking (the group must not be in use)");
        var command = new Command("set", "Change a security group") { group, name, description, stateful, stateless };
        app.SetAction(command, async (parse, client, cancellation) =>
        {
            var request = new SecurityGroupRequest
            {
                Name = parse.GetValue(name),
                Description = parse.GetValue(description),
                Stateful = Flags.Either(parse, stateful, stateless),
            };
            var current = await client.FindSecurityGroupAsync(parse.GetValue(group)!, cancellation);
            if (request != new SecurityGroupRequest())
            {
                await client.UpdateSecurityGroupAsync(current.Id, request, cancellation);
            }
        });
        return command;
    }

    private static Command DeleteVerb(CliApp app)
    {
        var groups = Flags.Names("GROUP", "Security group(s) to delete (name or ID)");
        var command = new Command("delete", "Delete security groups (they must not be in use)") { groups };
        app.SetAction(command, (parse, client, cancellation) => BulkDelete.RunAsync(parse.GetValue(groups)!, "security group",
            async g => await client.DeleteSecurityGroupAsync((await client.FindSecurityGroupAsync(g, cancellation)).Id, cancellation)));
        return command;
    }
}
