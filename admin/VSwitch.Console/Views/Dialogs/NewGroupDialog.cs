using Terminal.Gui.ViewBase;
using Terminal.Gui.Views;
using VSwitch.Console.Model;

namespace VSwitch.Console.Views.Dialogs;

/// <summary>A new security group: its name (focused when the dialog opens) and whether it is stateful; Enter creates it.</summary>
internal sealed class NewGroupDialog : FormDialog<(Message Message, string? Created)>
{
    private readonly Func<string, bool, Task<(Message, string?)>> _create;
    private readonly TextField _name = new() { X = 12, Y = 0, Width = Dim.Fill(1) };
    private readonly TextLine _nameError = new() { X = 2, Y = 1, Width = Dim.Fill(1), Height = 2 };
    private readonly CheckBox _stateful = new() { X = 12, Y = 3, Text = "_Stateful (return traffic allowed)", Value = CheckState.Checked };

    /// <param name="create">Creates the group (name, stateful): the message to show, and the new group's id when it was created.</param>
    public NewGroupDialog(Func<string, bool, Task<(Message, string?)>> create)
        : base("New security group", "Create", 76, 10)
    {
        _create = create;
        Add(new Label { X = 0, Y = 0, Text = "Name:" }, _name, _nameError, _stateful);
        _name.SetFocus();
    }

    /// <summary>What the create answered, once it succeeded.</summary>
    public (Message Message, string? Created) Outcome { get; private set; }

    internal TextField NameField => _name;

    internal string NameError => _nameError.Text;

    protected override Task<(Message Message, string? Created)> Submit()
    {
        var name = _name.Text.Trim();
        if (name.Length == 0)
        {
            return Task.FromResult((Message.Error("a group needs a name"), (string?)null));
        }
        return _create(name, _stateful.Value == CheckState.Checked);
    }

    protected override bool Show((Message Message, string? Created) outcome)
    {
        if (outcome.Created is null)
        {
            _nameError.Text = ErrorText(outcome.Message.Text);
            _name.SetFocus();
            return false;
        }
        Outcome = outcome;
        return true;
    }
}
