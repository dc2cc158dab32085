# A PostgreSQL cluster on loopback for the PostgreSQL backend tests. Tests create a throwaway
# database each through BERTH_TEST_PG_URL (a superuser connection to the maintenance database).
berth_pg_version=$(ls /usr/lib/postgresql | sort -V | tail -1)
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -q "^${berth_pg_version} main$"; then
  pg_createcluster "$berth_pg_version" main >/dev/null
fi
pg_ctlcluster "$berth_pg_version" main start 2>/dev/null || true
berth_pg_port=$(pg_lsclusters -h | awk -v v="$berth_pg_version" '$1==v && $2=="main" {print $3}')
for i in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 -p "$berth_pg_port" && break
  sleep 1
done
su postgres -c "psql -q -p $berth_pg_port -c \"ALTER USER postgres PASSWORD 'berth'\"" >/dev/null
export BERTH_TEST_PG_URL="postgres://postgres:berth@127.0.0.1:${berth_pg_port}/postgres"
