using Mirror.Rpc.Auth;

namespace Mirror.Rpc.Tests.Auth;

public sealed class BearerTokenTests
{
    private readonly BearerToken token = new("s3cret");

    [Theory]
    [InlineData("Bearer s3cret")]
    [InlineData("bearer s3cret")]
    [InlineData("Bearer s3cret ")]
    public void Accepts_the_token(string header) => Assert.Null(token.Check(header));

    [Theory]
    [InlineData(null, "missing authorization")]
    [InlineData("", "missing authorization")]
    [InlineData("s3cret", "not a Bearer token")]
    [InlineData("Bearer s3cre", "does not match")]
    [InlineData("Bearer s3cretx", "does not match")]
    [InlineData("Bearer ", "does not match")]
    public void Rejects_anything_else_with_a_reason(string? header, string reason) => Assert.Contains(reason, token.Check(header));

    [Fact]
    public void Header_value_is_bearer_scheme() => Assert.Equal("Bearer s3cret", BearerToken.HeaderValue("s3cret"));
}
