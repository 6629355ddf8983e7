// mirrorctl entry point; the command table lives in Commands/.
return await Mirror.Cli.Commands.CommandTable.RunAsync(args, Console.Out, Console.Error);
