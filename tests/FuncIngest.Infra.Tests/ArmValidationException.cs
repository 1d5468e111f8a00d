namespace FuncIngest.Infra.Tests;

/// <summary>A parameter value ARM would refuse before deploying anything (allowed values, length, range, missing).</summary>
internal sealed class ArmValidationException(string message) : Exception(message);
