module three-tier-app/testreport

go 1.22.0
