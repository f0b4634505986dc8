using System.CommandLine;
using VSwitch.Admin.Client;

namespace VSwitch.Cli;

/// <summary>
/// Where vswitchctl sends its requests: <c>--socket PATH</c> (default <c>/run/vswitch/api.sock</c>), or
/// <c>--url URL</c> with <c>--token T</c> for the daemon's TCP listener. <c>VSWITCH_URL</c> and <c>VSWITCH_TOKEN</c>
/// stand in for the flags; a flag wins over its variable, and an explicit <c>--socket</c> wins over <c>VSWITCH_URL</c>.
/// </summary>
/// <remarks>The options are recursive: they may follow any verb (<c>vswitchctl port list --socket /tmp/s</c>).</remarks>
internal sealed class Connection
{
    public Option<string?> Socket { get; } = new("--socket")
    {
        Description = $"Unix socket of the vswitchd API (default {VSwitchEndpoint.DefaultSocket})",
        Recursive = true,
        HelpName = "PATH",
    };

    public Option<string?> Url { get; } = new("--url")
    {
        Description = "URL of the API's TCP listener, e.g. http://127.0.0.1:9696 (env VSWITCH_URL)",
        Recursive = true,
        HelpName = "URL",
    };

    public Option<string?> Token { get; } = new("--token")
    {
        Description = "X-Auth-Token for --url (env VSWITCH_TOKEN)",
        Recursive = true,
        HelpName = "TOKEN",
    };

    public void AddTo(Command root)
    {
        root.Options.Add(Socket);
        root.Options.Add(Url);
        root.Options.Add(Token);
    }

    /// <summary>The endpoint a parsed command line names, after the environment.</summary>
    public VSwitchEndpoint Resolve(ParseResult parse, Func<string, string?> environment)
    {
        var socket = parse.GetValue(Socket);
        var url = parse.GetValue(Url) ?? (socket is null ? NonEmpty(environment("VSWITCH_URL")) : null);
        if (url is not null && socket is not null)
        {
            throw new UsageException("--socket and --url are mutually exclusive");
        }
        if (url is not null)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                throw new UsageException($"--url: '{url}' is not an http:// or https:// URL");
            }
            return VSwitchEndpoint.Tcp(uri, parse.GetValue(Token) ?? NonEmpty(environment("VSWITCH_TOKEN")));
        }
        return VSwitchEndpoint.Socket(socket ?? VSwitchEndpoint.DefaultSocket);
    }

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
