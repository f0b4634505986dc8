using System.CommandLine;
using VSwitch.Admin.Client.Resources;
using VSwitch.Cli.Output;
using static VSwitch.Cli.Output.Renderer;

namespace VSwitch.Cli.Commands;

/// <summary>
/// <c>quota list|show|set|delete</c>, spelled as <c>openstack quota</c>: a project's limits on networks, subnets, ports,
/// routers, floating IPs, security groups and rules (<c>--networks</c>, <c>--subnets</c>, <c>--ports</c>,
/// <c>--routers</c>, <c>--floating-ips</c>, <c>--secgroups</c>, <c>--secgroup-rules</c>; -1 is unlimited).
/// </summary>
internal static class QuotaCommands
{
    /// <summary>The API's resources with the names <c>openstack quota show</c> prints.</summary>
    private static readonly (string Resource, string Name)[] s_resources =
        [("network", "networks"), ("subnet", "subnets"), ("port", "ports"), ("router", "routers"), ("floatingip", "floating-ips"),
            ("security_group", "secgroups"), ("security_group_rule", "secgroup-rules")];

    public static readonly Column<Quota>[] ListColumns =
    [
        new("project_id", "Project ID", q => Str(q.ProjectId)),
        new("networks", "Networks", q => Num(q.Network)),
        new("subnets", "Subnets", q => Num(q.Subnet)),
        new("ports", "Ports", q => Num(q.Port)),
        new("routers", "Routers", q => Num(q.Router)),
        new("floating-ips", "Floating IPs", q => Num(q.FloatingIp)),
        new("secgroups", "Security Groups", q => Num(q.SecurityGroup)),
        new("secgroup-rules", "Security Group Rules", q => Num(q.SecurityGroupRule)),
    ];

    private static readonly Column<Row>[] s_limitColumns =
    [
        new("resource", "Resource", r => Str(r.Name)),
        new("limit", "Limit", r => Num(r.Limit)),
    ];

    private static readonly Column<Row>[] s_usageColumns =
    [
        .. s_limitColumns,
        new("in_use", "In Use", r => Num(r.Used)),
        new("reserved", "Reserved", r => Num(r.Reserved)),
    ];

    public static Command Build(CliApp app)
    {
        var quota = new Command("quota", "Manage projects' quotas");
        quota.Subcommands.Add(ListVerb(app));
        quota.Subcommands.Add(ShowVerb(app));
        quota.Subcommands.Add(SetVerb(app));
        quota.Subcommands.Add(DeleteVerb(app));
        return quota;
    }

    private static Command ListVerb(CliApp app)
    {
        var command = new Command("list", "List the projects whose quota differs from the defaults");
        var output = OutputOptions.AddTo(command);
        app.SetAction(command, async (parse, client, cancellation) =>
            List(app.Out, output.Read(parse), ListColumns, await client.ListQuotasAsync(cancellation)));
        return command;
    }

    private static Command ShowVerb(CliApp app)
    {
        var project = new Argument<string?>("PROJECT") { Description = "Project ID (default: the project this client acts for)", Arity = ArgumentArity.ZeroOrOne };
        var defaults = Flags.Flag("--default", "Show the default quota");
        var usage = Flags.Flag("--usage", "Show the usage beside each limit");
        var command = new Command("show", "Show a project's quota") { project, defaults, usage };
        var output = OutputOptions.AddTo(command);
        app.SetAction(command, async (parse, client, cancellation) =>
        {
            if (parse.GetValue(defaults) && parse.GetValue(usage))
            {
                throw new CommandException("--default and --usage cannot be combined");
            }
            var id = parse.GetValue(project) ?? await client.GetOwnProjectAsync(cancellation);
            if (parse.GetValue(usage))
            {
                var details = await client.GetQuotaDetailsAsync(id, cancellation);
                List(app.Out, output.Read(parse), s_usageColumns, s_resources.Select(r =>
                    details.TryGetValue(r.Resource, out var u) ? new Row(r.Name, u.Limit, u.Used, u.Reserved) : new Row(r.Name, 0, 0, 0)));
                return;
            }
            var limits = parse.GetValue(defaults) ? await client.GetDefaultQuotaAsync(id, cancellation) : await client.GetQuotaAsync(id, cancellation);
            List(app.Out, output.Read(parse), s_limitColumns,
            [
                new Row("networks", limits.Network), new Row("subnets", limits.Subnet), new Row("ports", limits.Port),
                new Row("routers", limits.Router), new Row("floating-ips", limits.FloatingIp),
                new Row("secgroups", limits.SecurityGroup), new Row("secgroup-rules", limits.SecurityGroupRule),
            ]);
        });
        return command;
    }

    private static Command SetVerb(CliApp app)
    {
        var project = Flags.Name("PROJECT", "Project ID");
        var networks = Limit("--networks", "networks");
        var subnets = Limit("--subnets", "subnets");
        var ports = Limit("--ports", "ports");
        var routers = Limit("--routers", "routers");
        var floatingIps = Limit("--floating-ips", "floating IPs");
        var groups = Limit("--secgroups", "security groups");
        var rules = Limit("--secgroup-rules", "security group rules");
        var command = new Command("set", "Set a project's quota (the resources not named keep theirs)") { project, networks, subnets, ports, routers, floatingIps, groups, rules };
        app.SetAction(command, async (parse, client, cancellation) =>
        {
            var request = new QuotaRequest
            {
                Network = parse.GetValue(networks),
                Subnet = parse.GetValue(subnets),
                Port = parse.GetValue(ports),
                Router = parse.GetValue(routers),
                FloatingIp = parse.GetValue(floatingIps),
                SecurityGroup = parse.GetValue(groups),
                SecurityGroupRule = parse.GetValue(rules),
            };
            if (request is { Network: null, Subnet: null, Port: null, Router: null, FloatingIp: null, SecurityGroup: null, SecurityGroupRule: null })
            {
                throw new CommandException("name at least one of --networks, --subnets, --ports, --routers, --floating-ips, --secgroups, --secgroup-rules");
            }
            await client.UpdateQuotaAsync(parse.GetValue(project)!, request, cancellation);
        });
        return command;
    }

    private static Command DeleteVerb(CliApp app)
    {
        var project = Flags.Name("PROJECT", "Project ID");
        var command = new Command("delete", "Give a project the default quota again") { project };
        app.SetAction(command, (parse, client, cancellation) => client.DeleteQuotaAsync(parse.GetValue(project)!, cancellation));
        return command;
    }

    private static Option<int?> Limit(string name, string what) =>
        new(name) { Description = $"Most {what} the project may have (-1: unlimited)", HelpName = "N" };

    private sealed record Row(string Name, int Limit, int Used = 0, int Reserved = 0);
}
