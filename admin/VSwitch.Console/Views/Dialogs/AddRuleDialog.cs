using Terminal.Gui.ViewBase;
using Terminal.Gui.Views;
using VSwitch.Admin.Client;
using VSwitch.Admin.Client.Resources;
using VSwitch.Console.Model;

namespace VSwitch.Console.Views.Dialogs;

/// <summary>
/// A rule for a group, field by field: direction, ethertype, protocol, port range (or ICMP type and code) and the
/// remote side (any, a prefix, a group or an address group). Enter sends it; a refusal of the API appears under the
/// field it is about and nothing is created (<see cref="RuleForm"/>).
/// </summary>
internal sealed class AddRuleDialog : FormDialog<AddRuleDialog.Answer>
{
    /// <summary>The API's answer: the created rule's message, or the field that was refused and why.</summary>
    internal sealed record Answer(Message? Created, RuleField Field, string? Error);

    /// <summary>Sends a rule create; answers the message to show, or the API's refusal.</summary>
    internal delegate Task<(Message Message, VSwitchClientException? Refused)> CreateRule(SecurityGroupRuleRequest request);

    private const int FieldX = 12;
    private readonly SecurityGroup _group;
    private readonly IReadOnlyList<SecurityGroup> _groups;
    private readonly Func<Task<IReadOnlyList<AddressGroup>>> _addressGroups;
    private readonly CreateRule _create;
    private readonly OptionSelector _direction = new() { X = FieldX, Y = 2, Labels = ["ingress", "egress"], Orientation = Orientation.Horizontal, Value = 0 };
    private readonly OptionSelector _ethertype = new() { X = FieldX, Y = 3, Labels = ["IPv4", "IPv6"], Orientation = Orientation.Horizontal, Value = 0 };
    private readonly TextField _protocol = new() { X = FieldX, Y = 5, Width = 14, Text = "tcp" };
    private readonly TextField _ports = new() { X = FieldX, Y = 7, Width = 14 };
    private readonly TextLine _portsHint = new() { X = FieldX + 15, Y = 7, Text = "80, 8000:8080" };
    private readonly OptionSelector _remoteKind = new() { X = FieldX, Y = 9, Labels = ["any", "prefix", "group", "address group"], Orientation = Orientation.Horizontal, Value = 0 };
    private readonly TextField _remote = new() { X = FieldX, Y = 10, Width = Dim.Fill(1) };
    private readonly TextField _quick = new() { X = FieldX, Y = 0, Width = Dim.Fill(1) };
    private readonly TextLine _quickNote = new() { X = FieldX, Y = 1, Width = Dim.Fill(1), Height = 1, Text = "a rule in words fills the fields: ingress tcp 80 198.18.0.0/24" };
    private readonly Dictionary<RuleField, TextLine> _errors = [];

    public AddRuleDialog(SecurityGroup group, IReadOnlyList<SecurityGroup> groups, Func<Task<IReadOnlyList<AddressGroup>>> addressGroups, CreateRule create)
        : base($"Add a rule to {group.Name}", "Add", 76, 18)
    {
        _group = group;
        _groups = groups;
        _addressGroups = addressGroups;
        _create = create;
        Add(new Label { X = 0, Y = 0, Text = "Quick:" }, _quick, _quickNote,
            new Label { X = 0, Y = 2, Text = "Direction:" }, _direction,
            new Label { X = 0, Y = 3, Text = "Ethertype:" }, _ethertype,
            new Label { X = 0, Y = 5, Text = "Protocol:" }, _protocol,
            new Label { X = FieldX + 15, Y = 5, Text = "any tcp udp icmp ipv6-icmp 0-255" },
            new Label { X = 0, Y = 7, Text = "Ports:" }, _ports, _portsHint,
            new Label { X = 0, Y = 9, Text = "Remote:" }, _remoteKind, _remote);
        foreach (var (field, y) in new[] { (RuleField.Ethertype, 4), (RuleField.Protocol, 6), (RuleField.Ports, 8), (RuleField.Remote, 11) })
        {
            var label = new TextLine { X = 2, Y = y, Width = Dim.Fill(1), Height = 1 };
            _errors[field] = label;
            Add(label);
        }
        _protocol.ValueChanged += (_, _) => ShowPortsHint();
        _quick.ValueChanged += (_, _) => FillFromQuick();
        _quick.SetFocus();
    }

    /// <summary>The message of the created rule, once one was created.</summary>
    public Message? Created { get; private set; }

    internal TextField QuickField => _quick;

    internal TextField ProtocolField => _protocol;

    internal TextField PortsField => _ports;

    internal TextField RemoteField => _remote;

    internal OptionSelector Direction => _direction;

    internal OptionSelector RemoteKindSelector => _remoteKind;

    /// <summary>The error shown under <paramref name="field"/> (or at the foot for <see cref="RuleField.Rule"/>), "" when none.</summary>
    internal string ErrorAt(RuleField field) => field switch
    {
        RuleField.Rule => Footer.Text,
        RuleField.Quick => _quickNote.Text,
        _ => _errors[field].Text,
    };

    /// <summary>The quick line: a rule in words (<see cref="RuleSpec"/>) sets every field; what it cannot read is said under it.</summary>
    private void FillFromQuick()
    {
        if (_quick.Text.Trim().Length == 0)
        {
            return;
        }
        if (!RuleSpec.TryParse(_quick.Text, out var rule, out var error))
        {
            _quickNote.Text = ErrorText(error);
            return;
        }
        var form = rule!.ToForm();
        _quickNote.Text = "fields filled: Enter adds the rule";
        _direction.Value = form.Direction == "egress" ? 1 : 0;
        _ethertype.Value = form.Ethertype == "IPv6" ? 1 : 0;
        _protocol.Text = form.Protocol;
        _ports.Text = form.Ports;
        _remoteKind.Value = (int)form.RemoteKind;
        _remote.Text = form.Remote;
    }

    private void ShowPortsHint() =>
        _portsHint.Text = _protocol.Text.Trim().ToLowerInvariant() is "icmp" or "ipv6-icmp" or "icmpv6" ? "type[:code], 8 or 3:4" : "80, 8000:8080";

    protected override async Task<Answer> Submit()
    {
        // A quick line that does not read would leave the fields at an earlier, broader rule: nothing is sent.
        if (_quick.Text.Trim().Length > 0 && !RuleSpec.TryParse(_quick.Text, out _, out var quickError))
        {
            return new Answer(null, RuleField.Quick, $"{quickError}: fix it or clear the line");
        }
        var form = new RuleForm(_direction.Value == 1 ? "egress" : "ingress", _ethertype.Value == 1 ? "IPv6" : "IPv4",
            _protocol.Text, _ports.Text, (RemoteKind)(_remoteKind.Value ?? 0), _remote.Text);
        var addressGroups = form.RemoteKind == RemoteKind.AddressGroup ? await _addressGroups().ConfigureAwait(false) : [];
        var (request, field, error) = form.Build(_group.Id, _groups, addressGroups);
        if (request is null)
        {
            return new Answer(null, field, error);
        }
        var (message, refused) = await _create(request).ConfigureAwait(false);
        // In the dialog the API's sentence is enough: the field it is under says what it is about, and "rule not
        // added" is what staying open says.
        return refused is null ? new Answer(message, RuleField.Rule, null) : new Answer(null, RuleForm.FieldOf(refused), refused.Message);
    }

    protected override bool Show(Answer answer)
    {
        foreach (var label in _errors.Values)
        {
            label.Text = "";
        }
        if (answer.Created is { } created)
        {
            Created = created;
            return true;
        }
        if (answer.Field == RuleField.Rule)
        {
            Footer.Text = ErrorText(answer.Error);
        }
        else if (answer.Field == RuleField.Quick)
        {
            _quickNote.Text = ErrorText(answer.Error);
        }
        else
        {
            _errors[answer.Field].Text = ErrorText(answer.Error);
        }
        (answer.Field switch
        {
            RuleField.Quick => (View)_quick,
            RuleField.Ethertype => _ethertype,
            RuleField.Ports => _ports,
            RuleField.Remote => _remote,
            _ => _protocol,
        }).SetFocus();
        return false;
    }
}
