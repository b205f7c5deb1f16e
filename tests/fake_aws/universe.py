"""Every (account, Region) world one fake server serves, and which one a request reaches.

Exists so a fleet run (many accounts, several Regions) can be tested against one
endpoint. A world file is either one world (the classic format: one account, and every
Region a client signs for sees the same resources) or {"worlds": [WORLD, ...]}: each
entry one account in one Region (its own account_id, region, functions, logs...). A
request is routed by its credential (the access key id belongs to an account) and its
SigV4 signing Region; IAM and STS are global, so an account's iam and sts sections are
one dict shared by all of its worlds, as are its credentials. A Region the file does
not list for an account is served as an empty world, created on first use, as AWS
answers for a Region where the account has nothing. All worlds share one lock, so a
handler never sees one account's global sections change under it.
"""

import threading

import awstime
from world import World, WorldError

GLOBAL_SERVICES = ('iam', 'sts')
SHARED_SECTIONS = ('iam', 'sts')
WORLD_ENTRY_KEYS = ('description', 'account_id', 'region', 'credentials', 'sts', 'lambda',
                    'iam', 'logs', 'cloudwatch', 'ec2', 'apigateway', 'apigatewayv2', 'sqs',
                    'cloudtrail', 'xray')
MULTI_KEYS = ('description', 'worlds', 'faults', 'quotas', 'latency_ms')


class Universe:
    """The worlds of one server; .primary is the first (control API, harness)."""

    def __init__(self, data, prepare):
        if not isinstance(data, dict):
            raise WorldError('a world must be a JSON object')
        self.lock = threading.RLock()
        self.loaded_at = awstime.now()
        self._prepare = prepare
        self.single = 'worlds' not in data
        self.worlds = []
        self._by_place = {}
        self._accounts = {}  # account id -> its first world (global sections, credentials)
        self.top = data
        if self.single:
            self._add(World(data, self.loaded_at, self.lock))
        else:
            self._load_many(data)
        self.primary = self.worlds[0]
        self._keys = {}
        for world in self._accounts.values():
            for key, cred in world.credentials.items():
                self._keys[key] = cred

    def _load_many(self, data):
        unknown = sorted(set(data) - set(MULTI_KEYS))
        if unknown:
            raise WorldError('unknown top-level key(s) beside "worlds": %s (per-account '
                             'resources go inside each entry)' % ', '.join(unknown))
        entries = data['worlds']
        if not isinstance(entries, list) or not entries:
            raise WorldError('"worlds" must be a non-empty list of world objects')
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict):
                raise WorldError('worlds[%d] is not a JSON object' % index)
            bad = sorted(set(entry) - set(WORLD_ENTRY_KEYS))
            if bad:
                raise WorldError('unknown key(s) in worlds[%d]: %s' % (index, ', '.join(bad)))
            self._add(World(entry, self.loaded_at, self.lock, need_credentials=False))
        for account, world in self._accounts.items():
            if not world.credentials:
                raise WorldError('account %s has no "credentials" in any of its worlds'
                                 % account)

    def _add(self, world):
        place = (world.account_id, world.region)
        if place in self._by_place:
            raise WorldError('two worlds for account %s in %s' % place)
        world.universe = self
        home = self._accounts.get(world.account_id)
        if home is None:
            self._accounts[world.account_id] = world
        else:
            self._share(home, world)
        self._by_place[place] = world
        self.worlds.append(world)

    @staticmethod
    def _share(home, world):
        """Make world use its account's global sections and credentials."""
        for name in SHARED_SECTIONS:
            mine = world.data.pop(name, None) or {}
            theirs = home.section(name)
            for key, value in mine.items():
                if isinstance(value, dict) and isinstance(theirs.get(key), dict):
                    theirs[key].update(value)
                else:
                    theirs[key] = value
            world.data[name] = theirs
        home.credentials.update(world.credentials)
        world.credentials = home.credentials
        if home.first_credential is None:
            home.first_credential = world.first_credential
        world.first_credential = home.first_credential

    def prepare_all(self):
        for world in self.worlds:
            self._prepare(world)

    def credential(self, access_key_id):
        """The Credential with this access key id in any account, or None."""
        if self.single:
            return self.primary.credential(access_key_id)
        return self._keys.get(access_key_id)

    def account(self, account_id):
        """The first world of an account (its IAM, STS and credentials), or None."""
        if self.single:
            return self.primary if account_id == self.primary.account_id else None
        return self._accounts.get(account_id)

    def place(self, account_id, region):
        """The world of this account and Region, or None (the one world of a classic
        file for its own account, whatever the Region)."""
        if self.single:
            return self.primary if account_id == self.primary.account_id else None
        return self._by_place.get((account_id, region))

    def world_for(self, cred, region, service):
        """The world a request signed with cred for region reaches."""
        if self.single or cred is None:
            return self.primary
        home = self._accounts[cred.account_id]
        if service in GLOBAL_SERVICES or not region:
            return home
        world = self._by_place.get((cred.account_id, region))
        if world is None:
            with self.lock:
                world = self._by_place.get((cred.account_id, region))
                if world is None:
                    world = self._empty(home, region)
        return world

    def _empty(self, home, region):
        world = World({'account_id': home.account_id, 'region': region},
                      self.loaded_at, self.lock, need_credentials=False)
        self._add(world)
        self._prepare(world)
        return world

    def to_json(self):
        if self.single:
            return self.primary.to_json()
        with self.lock:
            return {'worlds': [w.to_json() for w in self.worlds]}
