namespace VSwitch.Dataplane.Ports;

/// <summary>
/// One kind of port (as Open vSwitch's <c>struct netdev_class</c>): it owns the scheme of its device strings
/// (<c>tap:</c>, <c>afpacket:</c>, <c>memory</c>), parses and validates them, says what a port of its kind needs from the
/// control plane, and opens ports.
/// </summary>
/// <remarks>
/// The control plane never reads a device string itself: the API and the configuration file refuse what
/// <see cref="Parse"/> refuses, with its message, and the reconciler opens ports through <see cref="Open"/>. A new
/// port type is one implementation in its own folder and one entry in the daemon's <see cref="PortTypes"/>.
/// Called by the control plane only, never on the data path.
/// </remarks>
public interface IPortType
{
    /// <summary>The scheme: device strings of this type are <c>SCHEME</c> or start with <c>SCHEME:</c>.</summary>
    string Scheme { get; }

    /// <summary>The device string's syntax, for messages (<c>tap:NAME[@NETNS][?io=uring|syscalls]</c>).</summary>
    string Syntax { get; }

    /// <summary>
    /// Parses and validates <paramref name="device"/> (which has this type's scheme) or throws a
    /// <see cref="PortException"/> whose message names the device and the rule it breaks.
    /// </summary>
    PortDevice Parse(string device);

    /// <summary>Opens a port on a device string this type accepts, creating the device where the type owns it.</summary>
    /// <exception cref="PortException">The port could not be opened (the message says which device and why).</exception>
    IPort Open(PortRequest request);
}

/// <summary>What a port type says about one valid device string.</summary>
/// <param name="Device">The device string, as given.</param>
/// <param name="Type">The port type that parsed it.</param>
/// <param name="Exclusive">What only one port may use (an interface, a socket path), as a key: two ports whose devices
/// have the same key conflict (<c>DeviceInUse</c>). Null when any number of ports may use the device.</param>
/// <param name="NeedsMac">A port with port security must be given its <c>mac_address</c>: the VM's NIC is not created
/// by the switch, so the switch cannot know its MAC (it would be spoofing as far as port security is concerned).</param>
/// <param name="Revives">The device can vanish and come back on its own (an interface the switch did not create): the
/// control plane re-opens the port when it does.</param>
public sealed record PortDevice(string Device, IPortType Type, string? Exclusive, bool NeedsMac, bool Revives);
