namespace VSwitch.Interop;

/// <summary>
/// Linux libc and kernel ABI, one partial file per C header (<c>LibC.epoll.cs</c> for <c>sys/epoll.h</c>, ...).
/// </summary>
/// <remarks>
/// Names are the C names, so that a man page maps straight onto the code (as Tmds.LibC does). Every import is a
/// source-generated <c>[LibraryImport]</c> with <c>SetLastError = true</c>; read the error with
/// <see cref="System.Runtime.InteropServices.Marshal.GetLastPInvokeError"/>. Struct sizes, field offsets and constants
/// are checked against the kernel headers by <c>InteropLayoutTests</c>, which compiles a C probe with gcc.
/// <para><b>Tmds.LibC.</b> The calls made while setting up, that Tmds.LibC 0.5.0 binds, come from it: affinity,
/// <c>setns</c>, <c>eventfd</c> creation; setting sockets up (<c>socket</c>, <c>socketpair</c>, <c>bind</c>,
/// <c>listen</c>, <c>accept4</c>, <c>connect</c>, <c>shutdown</c>, <c>setsockopt</c>, <c>getsockopt</c>);
/// <c>close</c>, <c>pipe2</c>, <c>epoll_create1</c>, <c>epoll_ctl</c>; <c>mmap</c>, <c>munmap</c>, <c>madvise</c>,
/// <c>memfd_create</c>, <c>ftruncate</c>; <c>open</c>, <c>fcntl</c>, <c>statx</c>, <c>unlink</c>, <c>link</c>
/// (paths through <see cref="NativeUtf8String"/>); <c>ioctl</c>; <c>io_uring_setup</c> with <c>io_uring_params</c>,
/// <c>io_uring_sqe</c> and <c>io_uring_cqe</c>. <c>sched.h</c>, <c>sys/eventfd.h</c> and <c>sys/ioctl.h</c> are no
/// longer here. The values VSwitch takes from it are probed by the same test.
/// What stays here: the constants (C# <c>const</c>, usable in <c>switch</c> and constant expressions, where Tmds.LibC
/// has static properties), probed; what Tmds.LibC lacks (TPACKET rings, TUN, netlink, virtio, vhost,
/// <c>sendmmsg</c>, <c>readv</c>/<c>writev</c>, <c>flock</c>, <c>if_nametoindex</c>, <c>RWF_NOWAIT</c>, fanout);
/// and the calls a worker makes per batch (<c>epoll_wait</c>, doorbell <c>read</c>/<c>write</c>,
/// <c>io_uring_enter</c>, <c>send</c>/<c>recv</c>/<c>sendmsg</c>/<c>recvmsg</c>, <c>poll</c>) with the structs they
/// pass (<c>epoll_event</c>, <c>msghdr</c>, <c>iovec</c>), where Tmds.LibC's <c>DllImport</c> stubs cost 7-18 % more
/// per call (<c>LibCBindingBenchmarks</c>).</para>
/// </remarks>
public static unsafe partial class LibC
{
    /// <summary>The C library every import binds to.</summary>
    public const string Libc = "libc";
}
