using VSwitch.Packets;

namespace VSwitch.Dataplane.Routing;

/// <summary>Where a routed packet for an address goes: the port that holds it, and its MAC (the frame's new destination).</summary>
public readonly record struct Neighbor(int Slot, MacAddress Mac);
