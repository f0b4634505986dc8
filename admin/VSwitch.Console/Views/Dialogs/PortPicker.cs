using Terminal.Gui.ViewBase;
using VSwitch.Admin.Client.Resources;

namespace VSwitch.Console.Views.Dialogs;

/// <summary>A dialog's list to pick one port from: by name (then id), with the filter box, the last pick selected.</summary>
internal static class PortPicker
{
    /// <summary>The ports in the list's order, and the list (at <paramref name="x"/>, top, <paramref name="height"/> rows).</summary>
    public static (List<Port> Ports, FilteredList List) Create(IReadOnlyList<Port> ports, string? selectedId, int x, int height)
    {
        List<Port> ordered = [.. ports.OrderBy(p => p.Name, StringComparer.Ordinal).ThenBy(p => p.Id, StringComparer.Ordinal)];
        var list = new FilteredList([.. ordered.Select(Label)])
        {
            X = x,
            Y = 0,
            Width = Dim.Fill(1),
            Height = height,
        };
        var at = ordered.FindIndex(p => p.Id == selectedId);
        if (at >= 0)
        {
            list.Select(at);
        }
        return (ordered, list);
    }

    /// <summary>A port as the lists show it: its name, or its id when it has none.</summary>
    public static string Label(Port port) => string.IsNullOrEmpty(port.Name) ? port.Id : port.Name;
}
