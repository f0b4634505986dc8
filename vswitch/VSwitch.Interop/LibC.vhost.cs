using System.Runtime.InteropServices;

namespace VSwitch.Interop;

/// <summary>
/// <c>linux/vhost_types.h</c>: the payloads vhost-user messages share with the kernel's vhost ioctls (a ring's index
/// and a number; a ring's addresses in the frontend's address space).
/// </summary>
public static partial class LibC
{
    /// <summary><c>vhost_vring_addr.flags</c>: the log address is valid (dirty-page logging, not offered here).</summary>
    public const int VHOST_VRING_F_LOG = 0;

    /// <summary>Feature bit: the front-end logs dirty pages for live migration (vhost-user back-ends offer it; tests never ask).</summary>
    public const int VHOST_F_LOG_ALL = 26;
}

/// <summary><c>struct vhost_vring_state</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct vhost_vring_state
{
    public uint index;
    public uint num;
}

/// <summary><c>struct vhost_vring_addr</c>: addresses in the frontend's (QEMU's) virtual address space.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct vhost_vring_addr
{
    public uint index;
    public uint flags;
    public ulong desc_user_addr;
    public ulong used_user_addr;
    public ulong avail_user_addr;
    public ulong log_guest_addr;
}
