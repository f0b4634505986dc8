using VSwitch.Admin.Client.Resources;
using VSwitch.Console.Model;

namespace VSwitch.Console.Views;

/// <summary>
/// What a screen's keys ask the console to do: the changes (each opens a dialog and makes one API request) and the
/// screen's own settings. The console window implements it; the screens only know this seam, so they are tested
/// without a daemon.
/// </summary>
internal interface IConsoleCommands
{
    void NewGroup();

    void AddRule(SecurityGroup group);

    void DeleteGroup(SecurityGroup group);

    void DeleteRule(SecurityGroup group, RuleRow rule);

    /// <summary>Attaches the group to ports and detaches it from others, from a list with checkboxes.</summary>
    void EditPorts(SecurityGroup group);

    void Trace();

    /// <summary>Captures one frame of a port for the trace screen, and traces it when the port received it.</summary>
    void CapturePacket();

    /// <summary>Picks the port whose connections the flows screen lists (or all ports), from a list with a filter box.</summary>
    void PickFlowPort();

    /// <summary>The flows screen reads only the active connections, or all of them (up to its limit).</summary>
    void ToggleActiveFlows();
}
