using System.Globalization;
using Terminal.Gui.ViewBase;
using VSwitch.Console.Model;
using VSwitch.Console.Views.Tables;

namespace VSwitch.Console.Views;

/// <summary>
/// Routers and floating IPs: each router's state, gateway, SNAT and routed subnets; each floating IP with the port
/// behind it, the groups that decide what the outside reaches, and that port's packet rate. Tab moves between the lists.
/// </summary>
internal sealed class RoutersScreen : ScreenView
{
    private readonly RowTable<RouterRow> _routers;
    private readonly TextLine _floatingTitle = new() { X = 0, Width = Dim.Fill(), Height = 1 };
    private readonly RowTable<FloatingIpRow> _floating;
    private string _heading = "";

    public RoutersScreen()
        : base(Screen.Routers, "Tab switch list")
    {
        _routers = new RowTable<RouterRow>(
            [
                new("Router", r => r.Name),
                new("State", r => r.State),
                new("Gateway", r => r.Gateway),
                new("SNAT", r => r.Snat),
                new("Subnets", r => r.Interfaces.Count == 0 ? "(none)" : string.Join(", ", r.Interfaces)),
                Column<RouterRow>.Number("Routes", r => r.Routes.Count.ToString(CultureInfo.InvariantCulture), r => r.Routes.Count),
                Column<RouterRow>.Number("FIPs", r => r.FloatingIps.ToString(CultureInfo.InvariantCulture), r => r.FloatingIps),
            ],
            r => r.Id)
        {
            X = 0,
            Y = 1,
            Width = Dim.Fill(),
            Height = Dim.Percent(40),
        };
        _floatingTitle.Y = Pos.Bottom(_routers);
        _floating = new RowTable<FloatingIpRow>(
            [
                new("Floating IP", f => f.Address),
                new("Port", f => f.Port.Length == 0 ? "(unattached)" : f.Port),
                new("Fixed IP", f => f.FixedIp),
                new("Router", f => f.Router),
                new("Groups", f => f.Groups),
                Column<FloatingIpRow>.Number("pps", f => Units.Si(f.PacketsPerSecond), f => f.PacketsPerSecond),
            ],
            f => f.Id)
        {
            X = 0,
            Y = Pos.Bottom(_floatingTitle),
            Width = Dim.Fill(),
            Height = Dim.Fill(),
        };
        _routers.Style.ExpandLastColumn = false;
        // Long gateways and subnet lists are cut (with an ellipsis) so that the counts fit 80 columns.
        _routers.Style.GetOrCreateColumnStyle(2).MaxWidth = 22;
        _routers.Style.GetOrCreateColumnStyle(4).MaxWidth = 26;
        _floating.Style.ExpandLastColumn = false;
        Add(_routers, _floatingTitle, _floating);
    }

    protected override IFilterable PrimaryList => _routers;

    internal RowTable<RouterRow> Routers => _routers;

    internal RowTable<FloatingIpRow> FloatingIps => _floating;

    public override void Update(ConsoleState state)
    {
        var s = state.Current;
        if (s.Routing is null)
        {
            _heading = "Routers: reading…";
            _floatingTitle.Show("");
            ShowTitle();
            return;
        }
        _routers.SetRows(RouterTable.Routers(s));
        _floating.SetRows(RouterTable.FloatingIps(state.Previous, s));
        _heading = _routers.Total == 0 ? "No routers" : $"Routers: {_routers.Total}";
        _floatingTitle.Show(_floating.Total == 0 ? "No floating IPs" : $"Floating IPs: {_floating.Total}");
        ShowTitle();
    }

    protected override string TitleText() => _heading;
}
