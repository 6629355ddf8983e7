# Mirror.K8s — build, run, test and measure. Every target installs or restores what it needs.
DOTNET ?= dotnet
CONFIG ?= Release
BIN := $(CURDIR)/artifacts/bin
MIRRORCTL := $(BIN)/mirrorctl
export DOTNET_CLI_TELEMETRY_OPTOUT := 1
export DOTNET_NOLOGO := 1

.PHONY: all build run stop status test format bench clean

all: build

build:
	$(DOTNET) build Mirror.K8s.sln -c $(CONFIG)
	$(DOTNET) publish dataplane/Mirror.Daemon/Mirror.Daemon.csproj -c $(CONFIG) --no-build -o $(BIN)
	$(DOTNET) publish dataplane/Mirror.Cli/Mirror.Cli.csproj -c $(CONFIG) --no-build -o $(BIN)

# Start the local cluster (one MDS, four OSTs on 127.0.0.1) and say what to do next.
run: build
	$(MIRRORCTL) local up
	@echo
	@echo "The local cluster is up. Try:"
	@echo "  export PATH=$(BIN):\$$PATH"
	@echo "  mirrorctl local status"
	@echo "  mirrorctl mirror create -N2 -p flash /file1 && echo hello | mirrorctl put - /file1"
	@echo "  mirrorctl getstripe -v /file1"
	@echo "  mirrorctl local down"

stop:
	$(MIRRORCTL) local down

status:
	$(MIRRORCTL) local status

format:
	$(DOTNET) format Mirror.K8s.sln --verify-no-changes

test: build format
	$(DOTNET) test Mirror.K8s.sln -c $(CONFIG) --no-build --logger "console;verbosity=normal"

bench: build
	$(DOTNET) run --project tests/Mirror.Bench -c $(CONFIG)

clean:
	-$(MIRRORCTL) local down 2>/dev/null
	rm -rf artifacts .mirror
	find . \( -name bin -o -name obj \) -type d -prune -exec rm -rf {} +
