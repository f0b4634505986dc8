namespace VSwitch.EndToEnd.Tests;

/// <summary>
/// Sends and listens for raw Ethernet frames of a local experimental EtherType (0x88B5) inside a namespace, with
/// python3's packet sockets: precise L2 probes that no IP stack answers or filters.
/// </summary>
internal static class RawFrames
{
    private const string ListenScript =
        "import socket,sys\n" +
        "s=socket.socket(17,3,socket.htons(0x88b5)); s.bind((sys.argv[1],0)); s.settimeout(float(sys.argv[3]))\n" +
        "try:\n" +
        "  while True:\n" +
        "    f=s.recv(2048)\n" +
        "    if sys.argv[2].encode() in f: print('GOT'); break\n" +
        "except socket.timeout: print('NONE')\n";

    private const string SendScript =
        "import socket,sys\n" +
        "s=socket.socket(17,3); s.bind((sys.argv[1],0))\n" +
        "s.send(bytes.fromhex(sys.argv[2].replace(':','')+sys.argv[3].replace(':','')+'88b5')+sys.argv[4].encode()+bytes(46))\n";

    /// <summary>Starts listening for a frame carrying <paramref name="tag"/>; the task yields true when it came.</summary>
    public static Task<bool> Listen(Lab.Vm vm, string tag, double seconds = 3)
    {
        var script = Path.Combine(Path.GetTempPath(), "vsw-listen.py");
        File.WriteAllText(script, ListenScript);
        return Task.Run(() => Shell.Run(vm.Exec($"/usr/bin/python3 {script} {vm.Interface} {tag} {seconds}"), TimeSpan.FromSeconds(seconds + 5)).Stdout.Contains("GOT", StringComparison.Ordinal));
    }

    public static void Send(Lab.Vm vm, string dstMac, string srcMac, string tag)
    {
        var script = Path.Combine(Path.GetTempPath(), "vsw-send.py");
        File.WriteAllText(script, SendScript);
        Shell.Must(vm.Exec($"/usr/bin/python3 {script} {vm.Interface} {dstMac} {srcMac} {tag}"));
    }
}
