using System.Net;
using System.Text;
using VSwitch.Admin.Client;
using VSwitch.Admin.Client.Resources;
using VSwitch.Console.Model;

namespace VSwitch.Console.Tests;

public sealed class RuleSpecTests
{
    [Theory]
    [InlineData("ingress tcp 80", "ingress", "IPv4", "tcp", 80, 80, null)]
    [InlineData("egress udp 53:54 198.18.0.0/16", "egress", "IPv4", "udp", 53, 54, "198.18.0.0/16")]
    [InlineData("in tcp 22 2001:db8::/32", "ingress", "IPv6", "tcp", 22, 22, "2001:db8::/32")]
    [InlineData("ingress icmp 8", "ingress", "IPv4", "icmp", 8, null, null)]
    [InlineData("ingress ipv6 any", "ingress", "IPv6", null, null, null, null)]
    [InlineData("INGRESS TCP 80 198.18.0.7", "ingress", "IPv4", "tcp", 80, 80, "198.18.0.7/32")]
    public void TryParse_Valid_GivesTheRule(string text, string direction, string ethertype, string? protocol, int? min, int? max, string? remote)
    {
        Assert.True(RuleSpec.TryParse(text, out var rule, out var error), error);
        Assert.Equal(new RuleSpec(direction, ethertype, protocol, min, max, remote, null), rule);
    }

    [Theory]
    [InlineData("tcp 80", "say ingress or egress")]
    [InlineData("ingress tcp 99999", "ports are 1 to 65535")]
    [InlineData("ingress 80", "a port range needs tcp, udp or sctp")]
    [InlineData("ingress tcp 90:80", "port range 90:80 is backwards")]
    [InlineData("ingress ipv6 tcp 80 198.18.0.0/24", "remote prefix 198.18.0.0/24 is not IPv6")]
    [InlineData("ingress tcp 80 bogus", "'bogus' is not understood")]
    [InlineData("ingress egress", "the direction is given twice")]
    [InlineData("ingress 198.18.0.0/24 group=web", "not both")]
    public void TryParse_Invalid_SaysWhy(string text, string expected)
    {
        Assert.False(RuleSpec.TryParse(text, out _, out var error));
        Assert.Contains(expected, error);
    }

    [Fact]
    public void Describe_ReadsAsTyped()
    {
        var rule = new SecurityGroupRule { Direction = "ingress", Ethertype = "IPv4", Protocol = "tcp", PortRangeMin = 8000, PortRangeMax = 8080, RemoteGroupId = "g1" };
        Assert.Equal("ingress IPv4 tcp 8000:8080 from group web", RuleSpec.Describe(rule, id => id == "g1" ? "web" : id));
    }
}

public sealed class MessageTests
{
    [Fact]
    public void From_ApiRefusal_ShowsTheApiMessageAndType() =>
        Assert.Equal(new Message("rule not added: Security group rule already exists. (SecurityGroupRuleExists)", true),
            Message.From("rule not added", new VSwitchApiException(409, "SecurityGroupRuleExists", "Security group rule already exists.")));
}

/// <summary>The groups screen's actions against a fake API: a refusal is shown in place and nothing else is sent.</summary>
public sealed class GroupActionsTests
{
    private sealed class FakeApi(HttpStatusCode status, string body) : HttpMessageHandler
    {
        public List<string> Requests { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests.Add($"{request.Method} {request.RequestUri!.AbsolutePath}");
            return Task.FromResult(new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") });
        }
    }

    private static (GroupActions, FakeApi) With(HttpStatusCode status, string body)
    {
        var api = new FakeApi(status, body);
        return (new GroupActions(new VSwitchClient(new HttpClient(api) { BaseAddress = new Uri("http://vswitch/") })), api);
    }

    private static readonly SecurityGroup s_web = new() { Id = "g1", Name = "web" };

    private static SwitchSnapshot Snapshot => new(TimeSpan.Zero, new SwitchStats(), [], [s_web], null);

    [Fact]
    public async Task CreateRule_ApiRefuses_MessageIsTheApiError_AndTheRefusalIsGiven()
    {
        var (actions, api) = With(HttpStatusCode.Conflict,
            """{"NeutronError": {"type": "SecurityGroupRuleExists", "message": "Security group rule already exists. Rule id is r1.", "detail": ""}}""");
        var (message, refused) = await actions.CreateRuleAsync(Snapshot, s_web,
            new SecurityGroupRuleRequest { SecurityGroupId = "g1", Direction = "ingress", Protocol = "tcp", PortRangeMin = 80, PortRangeMax = 80 }, CancellationToken.None);
        Assert.True(message.IsError);
        Assert.Equal("rule not added: Security group rule already exists. Rule id is r1. (SecurityGroupRuleExists)", message.Text);
        Assert.Equal("SecurityGroupRuleExists", Assert.IsType<VSwitchApiException>(refused).Type);
        Assert.Equal(["POST /v2.0/security-group-rules"], api.Requests);
    }

    [Fact]
    public void ToForm_GivesTheDialogsFields()
    {
        Assert.True(RuleSpec.TryParse("egress udp 53:54 198.18.0.0/16", out var rule, out _));
        Assert.Equal(new RuleForm("egress", "IPv4", "udp", "53:54", RemoteKind.Prefix, "198.18.0.0/16"), rule!.ToForm());
        Assert.True(RuleSpec.TryParse("ingress icmp 8", out rule, out _));
        Assert.Equal(new RuleForm("ingress", "IPv4", "icmp", "8", RemoteKind.Any, ""), rule!.ToForm());
        Assert.True(RuleSpec.TryParse("ingress tcp 22 group=admins", out rule, out _));
        Assert.Equal(new RuleForm("ingress", "IPv4", "tcp", "22", RemoteKind.Group, "admins"), rule!.ToForm());
    }

    [Fact]
    public async Task Attach_OneUpdateWithTheWholeGroupList()
    {
        var (actions, api) = With(HttpStatusCode.OK, """{"port": {"id": "p1", "name": "srv", "security_groups": ["g0", "g1"]}}""");
        var port = new Port { Id = "p1", Name = "srv", SecurityGroups = ["g0"] };
        var message = await actions.SetAttachedAsync(s_web, port, attach: true, CancellationToken.None);
        Assert.Equal(Message.Info("attached web to srv"), message);
        Assert.Equal(["GET /v2.0/ports/p1", "PUT /v2.0/ports/p1"], api.Requests);
    }
}

public sealed class GroupListTests
{
    [Fact]
    public void Rules_NumberedInStableOrder_WithHitsFromStats()
    {
        var group = new SecurityGroup
        {
            Id = "g",
            Name = "web",
            Rules =
            [
                new SecurityGroupRule { Id = "r2", Direction = "ingress", Ethertype = "IPv4", Protocol = "tcp", PortRangeMin = 80, PortRangeMax = 80 },
                new SecurityGroupRule { Id = "r1", Direction = "egress", Ethertype = "IPv4" },
            ],
        };
        var stats = new SwitchStats { RuleStats = [new RuleStats { RuleId = "r2", SecurityGroupId = "g", Hits = 42 }] };
        var rows = GroupList.Rules(new SwitchSnapshot(TimeSpan.Zero, stats, [], [group], null), group);
        Assert.Equal([("r1", 1, (long?)null), ("r2", 2, 42L)], rows.Select(r => (r.Rule.Id, r.Number, r.Hits)));
    }

    [Fact]
    public void Rows_ByName_WithRuleAndPortCounts()
    {
        var s = new SwitchSnapshot(TimeSpan.Zero, new SwitchStats(),
            [new Port { Id = "p1", SecurityGroups = ["1", "2"] }, new Port { Id = "p2", SecurityGroups = ["1"] }],
            [new SecurityGroup { Id = "2", Name = "b", Rules = [new SecurityGroupRule { Id = "r" }] }, new SecurityGroup { Id = "1", Name = "a" }], null);
        Assert.Equal([("a", 0, 2), ("b", 1, 1)], GroupList.Rows(s).Select(r => (r.Group.Name, r.Rules, r.Ports)));
    }
}
