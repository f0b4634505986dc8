using System.CommandLine;
using VSwitch.Admin.Client.Resources;
using VSwitch.Cli.Output;
using static VSwitch.Cli.Output.Renderer;

namespace VSwitch.Cli.Commands;

/// <summary>
/// <c>network rbac create|list|show|set|delete</c>, spelled as <c>openstack network rbac</c>: share a security group
/// with a project (<c>--target-project</c>) or every project (<c>--target-all-projects</c>).
/// </summary>
internal static class RbacCommands
{
    public static readonly Column<RbacPolicy>[] Columns =
    [
        new("id", "ID", p => Str(p.Id)),
        new("object_type", "Object Type", p => Str(p.ObjectType)),
        new("object_id", "Object ID", p => Str(p.ObjectId)),
        new("action", "Action", p => Str(p.Action), Listed: false),
        new("target_project_id", "Target Project ID", p => Str(p.Target)),
        new("project_id", "Project", p => Str(p.ProjectId), Listed: false),
    ];

    public static Command Build(CliApp app)
    {
        var rbac = new Command("rbac", "Share security groups with other projects (RBAC policies)");
        rbac.Subcommands.Add(CreateVerb(app));
        rbac.Subcommands.Add(ListVerb(app));
        rbac.Subcommands.Add(ShowVerb(app));
        rbac.Subcommands.Add(SetVerb(app));
        rbac.Subcommands.Add(DeleteVerb(app));
        return rbac;
    }

    private static Command CreateVerb(CliApp app)
    {
        var target = new Argument<string>("RBAC_OBJECT") { Description = "The security group to share (name or ID)" };
        var type = Flags.Text("--type", "Object type: security_group", "TYPE");
        var action = Flags.Text("--action", "Action: access_as_shared", "ACTION");
        var project = Flags.Text("--target-project", "The project to share with (ID)", "PROJECT");
        var all = Flags.Flag("--target-all-projects", "Share with every project");
        var command = new Command("create", "Share a security group") { target, type, action, project, all };
        var output = OutputOptions.AddTo(command);
        app.SetAction(command, async (parse, client, cancellation) =>
        {
            if (parse.GetValue(type) is not "security_group")
            {
                throw new UsageException("--type security_group is required (only security groups can be shared)");
            }
            if ((parse.GetValue(project) is null) == !parse.GetValue(all))
            {
                throw new UsageException("give exactly one of --target-project and --target-all-projects");
            }
            var group = await client.FindSecurityGroupAsync(parse.GetValue(target)!, cancellation);
            var created = await client.CreateRbacPolicyAsync(new RbacPolicyRequest
            {
                ObjectType = "security_group",
                ObjectId = group.Id,
                Action = parse.GetValue(action) ?? throw new UsageException("--action access_as_shared is required"),
                Target = parse.GetValue(all) ? "*" : parse.GetValue(project),
            }, cancellation);
            Show(app.Out, output.Read(parse), Columns, created);
        });
        return command;
    }

    private static Command ListVerb(CliApp app)
    {
        var command = new Command("list", "List RBAC policies");
        var output = OutputOptions.AddTo(command);
        app.SetAction(command, async (parse, client, cancellation) =>
            List(app.Out, output.Read(parse), Columns, await client.ListRbacPoliciesAsync(cancellation)));
        return command;
    }

    private static Command ShowVerb(CliApp app)
    {
        var id = Flags.Name("RBAC_POLICY", "RBAC policy (ID)");
        var command = new Command("show", "Show an RBAC policy") { id };
        var output = OutputOptions.AddTo(command);
        app.SetAction(command, async (parse, client, cancellation) =>
            Show(app.Out, output.Read(parse), Columns, await client.GetRbacPolicyAsync(parse.GetValue(id)!, cancellation)));
        return command;
    }

    private static Command SetVerb(CliApp app)
    {
        var id = Flags.Name("RBAC_POLICY", "RBAC policy (ID)");
        var project = Flags.Text("--target-project", "The project to share with instead (ID)", "PROJECT");
        var all = Flags.Flag("--target-all-projects", "Share with every project instead");
        var command = new Command("set", "Share with another project instead") { id, project, all };
        app.SetAction(command, async (parse, client, cancellation) =>
        {
            if ((parse.GetValue(project) is null) == !parse.GetValue(all))
            {
                throw new UsageException("give exactly one of --target-project and --target-all-projects");
            }
            await client.UpdateRbacPolicyAsync(parse.GetValue(id)!, new RbacPolicyRequest { Target = parse.GetValue(all) ? "*" : parse.GetValue(project) }, cancellation);
        });
        return command;
    }

    private static Command DeleteVerb(CliApp app)
    {
        var ids = Flags.Names("RBAC_POLICY", "RBAC policies to delete (ID)");
        var command = new Command("delete", "Stop sharing (refused while the target project's ports use the group)") { ids };
        app.SetAction(command, (parse, client, cancellation) => BulkDelete.RunAsync(parse.GetValue(ids)!, "RBAC policy",
            id => client.DeleteRbacPolicyAsync(id, cancellation)));
        return command;
    }
}
