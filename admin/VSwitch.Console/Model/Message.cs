using VSwitch.Admin.Client;

namespace VSwitch.Console.Model;

/// <summary>The console's status line: what the last action did, or why it was refused.</summary>
public sealed record Message(string Text, bool IsError)
{
    public static Message Info(string text) => new(text, false);

    public static Message Error(string text) => new(text, true);

    /// <summary>
    /// What an operator reads when the API refused an action: the NeutronError message as the API wrote it (it names
    /// the field and the value), prefixed by what was being done; a transport failure says the daemon is unreachable.
    /// </summary>
    public static Message From(string doing, VSwitchClientException ex) => ex switch
    {
        VSwitchApiException api => Error($"{doing}: {api.Message} ({api.Type})"),
        _ => Error($"{doing}: {ex.Message}"),
    };
}
