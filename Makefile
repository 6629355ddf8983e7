# Mirror.K8s — build, run, test and measure. Every target installs or restores what it needs.
DOTNET ?= dotnet
CONFIG ?= Release
BIN := $(CURDIR)/artifacts/bin
MIRRORCTL := $(BIN)/mirrorctl
export DOTNET_CLI_TELEMETRY_OPTOUT := 1
export DOTNET_NOLOGO := 1

.PHONY: all build run stop status test format bench bench-peers bench-tools bench-peer-tools clean

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

# The projects run in parallel, so a failure can scroll far above the tail: each project writes a .trx into
# artifacts/test-results/PROJECT (tests/Directory.Build.props), and tests/test-summary.py ends the output
# with one line per project and, when something failed, each failed test with the first lines of its
# message. The exit code is non-zero when anything failed.
TEST_RESULTS := $(CURDIR)/artifacts/test-results
test: build format
	@rm -rf $(TEST_RESULTS)
	@status=0; \
	$(DOTNET) test Mirror.K8s.sln -c $(CONFIG) --no-build --logger "console;verbosity=normal" \
	  --logger "trx;LogFileName=results.trx" -p:MirrorTestResults=$(TEST_RESULTS) || status=$$?; \
	python3 tests/test-summary.py $(TEST_RESULTS) Mirror.K8s.sln || { [ $$status -ne 0 ] || status=1; }; \
	exit $$status

# The client bench, then the fio table: raw disk, bindfs and our mount with 1 and 2 IMMEDIATE mirrors
# (tests/Mirror.Bench/Fio/README.md; FIO_ARGS="--size 1024 --runtime 20" for longer runs). Needs root.
FIO_ARGS ?=
bench: build bench-tools
	$(DOTNET) run --project tests/Mirror.Bench -c $(CONFIG) --no-build
	$(DOTNET) run --project tests/Mirror.Bench -c $(CONFIG) --no-build -- fio $(FIO_ARGS)

# The fio table with the peers too: MooseFS (goal 2, hosts in network namespaces) and GlusterFS (replica 2).
bench-peers: build bench-tools bench-peer-tools
	$(DOTNET) run --project tests/Mirror.Bench -c $(CONFIG) --no-build -- fio --peers $(FIO_ARGS)

# Debian packages the bench drives, installed only when missing.
bench-tools:
	@command -v fio >/dev/null && command -v bindfs >/dev/null && command -v fusermount3 >/dev/null || \
	  { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y fio bindfs fuse3; }

bench-peer-tools:
	@command -v ip >/dev/null && command -v mfsmaster >/dev/null && command -v mfschunkserver >/dev/null && \
	  command -v mfsmount >/dev/null && command -v glusterd >/dev/null && command -v mount.glusterfs >/dev/null || \
	  { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y iproute2 moosefs-master \
	    moosefs-chunkserver moosefs-client glusterfs-server glusterfs-client; }

clean:
	-$(MIRRORCTL) local down 2>/dev/null
	rm -rf artifacts .mirror
	find . \( -name bin -o -name obj \) -type d -prune -exec rm -rf {} +
