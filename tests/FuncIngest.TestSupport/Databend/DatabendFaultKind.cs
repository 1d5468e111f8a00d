namespace FuncIngest.TestSupport.Databend;

/// <summary>What an injected fault does to a matching statement.</summary>
public enum DatabendFaultKind
{
    /// <summary>Answer Failed with the fault's code and message, without executing.</summary>
    FailWithCode,

    /// <summary>Wait the fault's delay, then execute normally.</summary>
    Delay,

    /// <summary>Answer HTTP 503 without executing.</summary>
    ServiceUnavailable,

    /// <summary>Drop the connection without executing.</summary>
    DropBeforeExecute,

    /// <summary>Execute (and commit, for COMMIT or an autocommit statement), then drop the connection: the reply is lost.</summary>
    DropAfterExecute,

    /// <summary>Await <see cref="DatabendFault.BeforeExecute"/>, then execute normally: lets a test interleave sessions statement by statement.</summary>
    Hook,
}
