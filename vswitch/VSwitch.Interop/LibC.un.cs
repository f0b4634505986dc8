using System.Runtime.InteropServices;

namespace VSwitch.Interop;

/// <summary><c>sys/un.h</c>: the address of a Unix-domain socket (vhost-user's socket path).</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct sockaddr_un
{
    /// <summary><c>AF_UNIX</c>.</summary>
    public ushort sun_family;

    /// <summary>The path, NUL-terminated when shorter than the array.</summary>
    public fixed byte sun_path[108];
}
