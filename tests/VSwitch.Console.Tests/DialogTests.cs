using System.Net;
using System.Text;
using Terminal.Gui.Input;
using VSwitch.Admin.Client;
using VSwitch.Admin.Client.Resources;
using VSwitch.Console.Model;
using VSwitch.Console.Views.Dialogs;
using Xunit.Abstractions;

namespace VSwitch.Console.Tests;

/// <summary>The console's dialogs headless, driven by keys: what they send, and a refusal shown at its field with nothing created.</summary>
public sealed class DialogTests(ITestOutputHelper output)
{
    private static readonly SecurityGroup s_web = new() { Id = "g1", Name = "web" };
    private static readonly SecurityGroup s_admins = new() { Id = "g2", Name = "admins" };

    /// <summary>An API that answers each request with the next canned answer and records what it was asked.</summary>
    private sealed class ScriptedApi(params (HttpStatusCode Status, string Body)[] answers) : HttpMessageHandler
    {
        private int _next;

        public List<string> Requests { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken);
            var ifMatch = request.Headers.TryGetValues("If-Match", out var values) ? " If-Match: " + string.Join(',', values) : "";
            Requests.Add($"{request.Method} {request.RequestUri!.AbsolutePath} {body}{ifMatch}");
            var (status, answer) = answers[Math.Min(_next++, answers.Length - 1)];
            return new HttpResponseMessage(status) { Content = new StringContent(answer, Encoding.UTF8, "application/json") };
        }
    }

    private static GroupActions Actions(ScriptedApi api) =>
        new(new VSwitchClient(new HttpClient(api) { BaseAddress = new Uri("http://vswitch/") }));

    [Fact]
    public void NewGroup_NameFieldFocused_EnterCreates()
    {
        using var ui = new Headless();
        var api = new ScriptedApi((HttpStatusCode.Created, """{"security_group": {"id": "g9", "name": "web-e2e", "stateful": true, "security_group_rules": []}}"""));
        var actions = Actions(api);
        using var dialog = new NewGroupDialog((name, stateful) => actions.CreateGroupAsync(name, stateful, CancellationToken.None));
        ui.RunModal(dialog, step =>
        {
            if (step == 1)
            {
                Assert.True(dialog.NameField.HasFocus);
                ui.Type("web-e2e");
                ui.Press(Key.Enter);
            }
            return true;
        });
        Assert.True(dialog.Done);
        Assert.Equal("g9", dialog.Outcome.Created);
        Assert.Contains("POST /v2.0/security-groups", Assert.Single(api.Requests));
        Assert.Contains("\"name\":\"web-e2e\"", api.Requests[0]);
    }

    [Fact]
    public void NewGroup_Refused_ErrorUnderTheName_DialogStaysOpen_EscCancels()
    {
        using var ui = new Headless();
        var api = new ScriptedApi((HttpStatusCode.Conflict, """{"NeutronError": {"type": "SecurityGroupDefaultAlreadyExists", "message": "Default security group already exists.", "detail": ""}}"""));
        var actions = Actions(api);
        using var dialog = new NewGroupDialog((name, stateful) => actions.CreateGroupAsync(name, stateful, CancellationToken.None));
        var seen = "";
        ui.RunModal(dialog, step =>
        {
            switch (step)
            {
                case 1:
                    ui.Type("default");
                    ui.Press(Key.Enter);
                    return true;
                case < 20 when dialog.NameError.Length == 0:
                    return true;
                default:
                    seen = ui.Screen();
                    ui.Press(Key.Esc);
                    return true;
            }
        });
        output.WriteLine(seen);
        Assert.False(dialog.Done);
        Assert.Contains("! create group default: Default security group already exists.", seen.Replace("\n", " ", StringComparison.Ordinal).Replace("┃", "", StringComparison.Ordinal));
        Assert.Single(api.Requests);
    }

    [Fact]
    public void AddRule_PortOutOfRange_ApiErrorAtThePortsField_NothingCreated_ThenFixedAndAdded()
    {
        using var ui = new Headless(80, 24);
        var api = new ScriptedApi(
            (HttpStatusCode.BadRequest, """{"NeutronError": {"type": "SecurityGroupInvalidPortValue", "message": "Invalid value for port 99999", "detail": ""}}"""),
            (HttpStatusCode.Created, """{"security_group_rule": {"id": "r1", "security_group_id": "g1", "direction": "ingress", "ethertype": "IPv4", "protocol": "tcp", "port_range_min": 80, "port_range_max": 80}}"""));
        var actions = Actions(api);
        var snapshot = new SwitchSnapshot(TimeSpan.Zero, new SwitchStats(), [], [s_web, s_admins], null);
        using var dialog = new AddRuleDialog(s_web, snapshot.Groups, () => Task.FromResult<IReadOnlyList<AddressGroup>>([]),
            request => actions.CreateRuleAsync(snapshot, s_web, request, CancellationToken.None));
        var refused = "";
        var portsError = "";
        ui.RunModal(dialog, step =>
        {
            if (step == 1)
            {
                dialog.PortsField.SetFocus();
                ui.Type("99999");
                ui.Press(Key.Enter);
            }
            else if (refused.Length == 0 && dialog.ErrorAt(RuleField.Ports).Length > 0)
            {
                refused = ui.Screen();
                portsError = dialog.ErrorAt(RuleField.Ports);
                Assert.True(dialog.PortsField.HasFocus);
                dialog.PortsField.Text = "";
                ui.Type("80");
                ui.Press(Key.Enter);
            }
            return true;
        });
        output.WriteLine(refused);
        Assert.Contains("! Invalid value for port 99999", refused);
        Assert.Equal("! Invalid value for port 99999", portsError);
        Assert.Equal(2, api.Requests.Count);
        Assert.Contains("\"port_range_min\":99999", api.Requests[0]);
        Assert.Contains("\"port_range_min\":80", api.Requests[1]);
        Assert.Equal("added to web: ingress IPv4 tcp 80", dialog.Created!.Text);
    }

    [Fact]
    public void AddRule_QuickLineFillsTheFields_RemoteGroupByName()
    {
        using var ui = new Headless(80, 24);
        var api = new ScriptedApi((HttpStatusCode.Created, """{"security_group_rule": {"id": "r2", "security_group_id": "g1", "direction": "egress", "ethertype": "IPv4", "protocol": "udp", "port_range_min": 53, "port_range_max": 53, "remote_group_id": "g2"}}"""));
        var actions = Actions(api);
        var snapshot = new SwitchSnapshot(TimeSpan.Zero, new SwitchStats(), [], [s_web, s_admins], null);
        using var dialog = new AddRuleDialog(s_web, snapshot.Groups, () => Task.FromResult<IReadOnlyList<AddressGroup>>([]),
            request => actions.CreateRuleAsync(snapshot, s_web, request, CancellationToken.None));
        ui.RunModal(dialog, step =>
        {
            if (step == 1)
            {
                Assert.True(dialog.QuickField.HasFocus);
                ui.Type("egress udp 53 group=admins");
                Assert.Equal(("udp", "53", 1, "admins"), (dialog.ProtocolField.Text, dialog.PortsField.Text, dialog.Direction.Value, dialog.RemoteField.Text));
                ui.Press(Key.Enter);
            }
            return true;
        });
        var sent = Assert.Single(api.Requests);
        Assert.Contains("\"direction\":\"egress\"", sent);
        Assert.Contains("\"remote_group_id\":\"g2\"", sent);
        Assert.Equal("added to web: egress IPv4 udp 53 to group admins", dialog.Created!.Text);
    }

    [Fact]
    public void AddRule_QuickLineThatDoesNotRead_NothingSent_ErrorAtTheQuickLine()
    {
        using var ui = new Headless(80, 24);
        var api = new ScriptedApi((HttpStatusCode.Created, "{}"));
        var actions = Actions(api);
        var snapshot = new SwitchSnapshot(TimeSpan.Zero, new SwitchStats(), [], [s_web], null);
        using var dialog = new AddRuleDialog(s_web, snapshot.Groups, () => Task.FromResult<IReadOnlyList<AddressGroup>>([]),
            request => actions.CreateRuleAsync(snapshot, s_web, request, CancellationToken.None));
        ui.RunModal(dialog, step =>
        {
            if (step == 1)
            {
                // "…/3" reads (and fills the fields with a /3 prefix) before "…/33" does not.
                ui.Type("ingress tcp 22 198.18.0.0/33");
                ui.Press(Key.Enter);
                return true;
            }
            return dialog.ErrorAt(RuleField.Quick).Length == 0 || !dialog.ErrorAt(RuleField.Quick).StartsWith("! ", StringComparison.Ordinal);
        });
        Assert.Empty(api.Requests);
        Assert.Contains("fix it or clear the line", dialog.ErrorAt(RuleField.Quick));
        Assert.Null(dialog.Created);
    }

    [Fact]
    public void AddRule_UnknownRemoteGroup_ErrorAtRemote_NothingSent()
    {
        var form = new RuleForm("ingress", "IPv4", "tcp", "22", RemoteKind.Group, "nope");
        var (request, field, error) = form.Build("g1", [s_web], []);
        Assert.Null(request);
        Assert.Equal(RuleField.Remote, field);
        Assert.Equal("no security group named 'nope'", error);
        Assert.Equal(RuleField.Ports, new RuleForm("ingress", "IPv4", "tcp", "eighty", RemoteKind.Any, "").Build("g1", [], []).Field);
        // A remote typed but "any" chosen would admit everyone: refused, not ignored.
        Assert.Equal(RuleField.Remote, new RuleForm("ingress", "IPv4", "tcp", "22", RemoteKind.Any, "198.18.0.0/24").Build("g1", [], []).Field);
        var (icmp, _, _) = new RuleForm("ingress", "IPv4", "icmp", "8", RemoteKind.Prefix, "198.18.0.0/24").Build("g1", [], []);
        Assert.Equal((8, (int?)null, "198.18.0.0/24"), (icmp!.PortRangeMin!.Value, icmp.PortRangeMax, icmp.RemoteIpPrefix));
    }

    [Theory]
    [InlineData("SecurityGroupInvalidPortRange", RuleField.Ports)]
    [InlineData("SecurityGroupRuleInvalidProtocol", RuleField.Protocol)]
    [InlineData("SecurityGroupRuleParameterConflict", RuleField.Remote)]
    [InlineData("InvalidCIDR", RuleField.Remote)]
    [InlineData("SecurityGroupEthertypeConflictWithProtocol", RuleField.Ethertype)]
    [InlineData("SecurityGroupRuleExists", RuleField.Rule)]
    public void FieldOf_NeutronErrorType_NamesTheField(string type, RuleField field) =>
        Assert.Equal(field, RuleForm.FieldOf(new VSwitchApiException(400, type, "m")));

    [Fact]
    public void Ports_CheckboxesStartAsAttached_SpaceToggles_EnterSendsOnlyTheChanges()
    {
        using var ui = new Headless();
        // The port is read again before its update: meanwhile another group (g5) was attached to it, and stays.
        var api = new ScriptedApi((HttpStatusCode.OK, """{"port": {"id": "p2", "name": "srv", "security_groups": ["g0", "g5"]}}"""));
        var actions = Actions(api);
        Port[] ports =
        [
            new() { Id = "p1", Name = "cli", SecurityGroups = ["g1"] },
            new() { Id = "p2", Name = "srv", SecurityGroups = ["g0"] },
        ];
        using var dialog = new PortsDialog(s_web, ports, (port, attach) => actions.SetAttachedAsync(s_web, port, attach, CancellationToken.None));
        var screen = "";
        ui.RunModal(dialog, step =>
        {
            if (step == 1)
            {
                Assert.Equal(["cli"], dialog.Checked.Select(p => p.Name));
                ui.Press(Key.CursorDown, Key.Space);
                Assert.Equal(["cli", "srv"], dialog.Checked.Select(p => p.Name));
                screen = ui.Screen();
                ui.Press(Key.Enter);
            }
            return true;
        });
        output.WriteLine(screen);
        Assert.True(dialog.Done);
        Assert.Equal(2, api.Requests.Count);
        Assert.StartsWith("GET /v2.0/ports/p2", api.Requests[0]);
        Assert.StartsWith("PUT /v2.0/ports/p2", api.Requests[1]);
        Assert.Contains("\"security_groups\":[\"g0\",\"g5\",\"g1\"]", api.Requests[1]);
        Assert.Equal("attached web to srv", Assert.Single(dialog.Applied).Text);
    }

    [Fact]
    public async Task Attach_UpdatesOnlyAtTheRevisionRead_AChangeInBetweenIsReadAgainAndKept()
    {
        const string Conflict = """{"NeutronError": {"type": "RevisionNumberConstraintFailed", "message": "Constrained to 4, but current revision is 5", "detail": ""}}""";
        var api = new ScriptedApi(
            (HttpStatusCode.OK, """{"port": {"id": "p2", "name": "srv", "revision_number": 4, "security_groups": ["g0"]}}"""),
            (HttpStatusCode.PreconditionFailed, Conflict),
            // Meanwhile another operator attached g7: it is read, and kept.
            (HttpStatusCode.OK, """{"port": {"id": "p2", "name": "srv", "revision_number": 5, "security_groups": ["g0", "g7"]}}"""),
            (HttpStatusCode.OK, """{"port": {"id": "p2", "name": "srv", "revision_number": 6, "security_groups": ["g0", "g7", "g1"]}}"""));
        var message = await Actions(api).SetAttachedAsync(s_web, new Port { Id = "p2", Name = "srv" }, attach: true, CancellationToken.None);

        Assert.Equal("attached web to srv", message.Text);
        Assert.Equal(4, api.Requests.Count);
        Assert.EndsWith("If-Match: revision_number=4", api.Requests[1]);
        Assert.StartsWith("GET /v2.0/ports/p2", api.Requests[2]);
        Assert.StartsWith("PUT /v2.0/ports/p2", api.Requests[3]);
        Assert.Contains("\"security_groups\":[\"g0\",\"g7\",\"g1\"]", api.Requests[3]);
        Assert.EndsWith("If-Match: revision_number=5", api.Requests[3]);
    }

    [Fact]
    public async Task Attach_PortChangingAtEveryTry_GivesUpWithTheApisError()
    {
        var read = (HttpStatusCode.OK, """{"port": {"id": "p2", "name": "srv", "revision_number": 4, "security_groups": []}}""");
        var refused = (HttpStatusCode.PreconditionFailed, """{"NeutronError": {"type": "RevisionNumberConstraintFailed", "message": "Constrained to 4, but current revision is 5", "detail": ""}}""");
        var api = new ScriptedApi(read, refused, read, refused, read, refused, read, refused);
        var message = await Actions(api).SetAttachedAsync(s_web, new Port { Id = "p2", Name = "srv" }, attach: true, CancellationToken.None);

        Assert.True(message.IsError);
        Assert.Contains("attach web to srv", message.Text);
        Assert.Contains("current revision is 5", message.Text);
        Assert.Equal(GroupActions.AttachTries, api.Requests.Count(r => r.StartsWith("PUT ", StringComparison.Ordinal)));
    }

    [Fact]
    public void Trace_FieldsMakeThePacket_VerdictAndStepsShownInTheDialog()
    {
        using var ui = new Headless(80, 24);
        Port[] ports = [new() { Id = "p1", Name = "cli" }, new() { Id = "p2", Name = "srv" }];
        var asked = new List<TraceFields>();
        using var dialog = new TraceDialog(ports, TraceFields.Default with { PortId = "p2" }, fields =>
        {
            asked.Add(fields);
            return Task.FromResult<(PacketTrace?, string?)>((new PacketTrace
            {
                Verdict = "dropped",
                Reason = "security_group",
                Steps = [new TraceStep { Stage = "parse", Result = "ok", Detail = "tcp" }, new TraceStep { Stage = "policy", Result = "drop", Detail = "no rule admits it" }],
            }, null));
        });
        var screen = "";
        ui.RunModal(dialog, step =>
        {
            if (step == 1)
            {
                dialog.DestinationPortField.Text = "81";
                ui.Press(Key.Enter);
            }
            else if (dialog.VerdictText.Length > 0)
            {
                screen = ui.Screen();
                return false;
            }
            return true;
        });
        output.WriteLine(screen);
        Assert.Equal("tcp 198.18.0.1:40000 > 198.18.0.2:81 syn", Assert.Single(asked).ToPacket());
        Assert.Equal("p2", asked[0].PortId);
        Assert.Contains("DROPPED, reason security_group", screen);
        Assert.Contains("no rule admits it", screen);
        Assert.Equal("p2", dialog.Last!.Value.Fields.PortId);
    }

    [Fact]
    public void Ports_SlashFilters_AHiddenPortKeepsItsMark_EscClearsWithoutClosing()
    {
        using var ui = new Headless();
        var api = new ScriptedApi((HttpStatusCode.OK, """{"port": {"id": "p3", "name": "srv-b", "security_groups": []}}"""));
        var actions = Actions(api);
        Port[] ports =
        [
            new() { Id = "p1", Name = "cli", SecurityGroups = ["g1"] },
            new() { Id = "p2", Name = "srv-a", SecurityGroups = [] },
            new() { Id = "p3", Name = "srv-b", SecurityGroups = [] },
        ];
        using var dialog = new PortsDialog(s_web, ports, (port, attach) => actions.SetAttachedAsync(s_web, port, attach, CancellationToken.None));
        var filtered = "";
        ui.RunModal(dialog, step =>
        {
            if (step == 1)
            {
                var opened = ui.Screen();
                Assert.Contains("srv-b", opened);
                ui.Press((Key)'/');
                Assert.True(dialog.List.FilterBox.HasFocus);
                ui.Type("B");
                Assert.Equal(1, dialog.List.ShownCount);
                ui.Press(Key.Enter);
                Assert.True(dialog.List.List.HasFocus);
                ui.Press(Key.Space);
                filtered = ui.Screen();
                // cli is hidden by the filter and still checked; srv-b, the one row shown, is now checked too.
                Assert.Equal(["cli", "srv-b"], dialog.Checked.Select(p => p.Name));
                ui.Press((Key)'/', Key.Esc);
                Assert.True(dialog.IsRunning);
                Assert.Equal("", dialog.List.Filter);
                Assert.Equal(3, dialog.List.ShownCount);
                Assert.Equal(["cli", "srv-b"], dialog.Checked.Select(p => p.Name));
                ui.Press(Key.Enter);
            }
            return true;
        });
        output.WriteLine(filtered);
        Assert.Contains("srv-b", filtered);
        Assert.DoesNotContain("srv-a", filtered);
        Assert.Contains("1 of 3", filtered);
        Assert.True(dialog.Done);
        Assert.Equal(2, api.Requests.Count);
        Assert.StartsWith("GET /v2.0/ports/p3", api.Requests[0]);
        Assert.StartsWith("PUT /v2.0/ports/p3", api.Requests[1]);
        Assert.Contains("\"security_groups\":[\"g1\"]", api.Requests[1]);
    }

    [Fact]
    public void Trace_PortListFiltered_TheTraceEntersByThePortFound()
    {
        using var ui = new Headless(80, 24);
        Port[] ports = [.. Enumerable.Range(1, 12).Select(i => new Port { Id = $"p{i}", Name = $"vm{i:00}" })];
        var asked = new List<TraceFields>();
        using var dialog = new TraceDialog(ports, TraceFields.Default with { PortId = "p2" }, fields =>
        {
            asked.Add(fields);
            return Task.FromResult<(PacketTrace?, string?)>((null, "refused"));
        });
        ui.RunModal(dialog, step =>
        {
            if (step == 1)
            {
                Assert.Equal(1, dialog.PortList.Selected);
                ui.Press((Key)'/');
                ui.Type("11");
                ui.Press(Key.Enter, Key.Enter);
            }
            return asked.Count == 0;
        });
        Assert.Equal("p11", Assert.Single(asked).PortId);
    }

    [Fact]
    public void FlowPort_AllPortsIsPinned_TypingAFilterSelectsTheFirstMatchingPort()
    {
        using var ui = new Headless();
        Port[] ports = [new() { Id = "p1", Name = "web-port" }, new() { Id = "p2", Name = "db-port" }];
        using var dialog = new FlowPortDialog(ports, current: null);
        Assert.Equal(0, dialog.List.Selected);
        dialog.List.Filter = "port";
        // "(all ports)" contains "port" but is never matched: both ports match, the first (by name) is selected.
        Assert.Equal(2, dialog.List.ShownCount);
        Assert.Equal(1, dialog.List.Selected);
        dialog.List.Filter = "nothing";
        Assert.Equal(0, dialog.List.ShownCount);
        Assert.Equal(0, dialog.List.Selected);
        dialog.List.Filter = "";
        dialog.List.Select(0);
        Assert.Equal(0, dialog.List.Selected);
    }

    [Fact]
    public void TraceFields_Ipv6AndIcmp_InTheApisWords()
    {
        Assert.Equal("udp [2001:db8::1]:5000 > [2001:db8::2]:53", new TraceFields("p", "udp", "2001:db8::1", "5000", "2001:db8::2", "53", "").ToPacket());
        Assert.Equal("icmp 198.18.0.1 > 198.18.0.2", new TraceFields("p", "icmp", "198.18.0.1", "40000", "198.18.0.2", "80", "").ToPacket());
    }
}
