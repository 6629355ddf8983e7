// mirrorctl entry point; the command table lives in Commands/.
return await Mirror.Cli.Local.LocalCommand.RunAsync(args, Console.Out, Console.Error);
