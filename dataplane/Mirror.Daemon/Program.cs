// mirrord: one binary for the daemon roles (ARCHITECTURE §1); the roles are listed in Roles/RoleTable.cs.
return await Mirror.Daemon.Hosting.DaemonMain.RunAsync(args, Console.Out, Console.Error);
