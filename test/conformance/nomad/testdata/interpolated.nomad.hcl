# A pot task whose config uses the task environment, interpolated by the client's task runner.
job "interp" {
  datacenters = ["dc1"]

  group "web" {
    task "www1" {
      driver = "pot"

      config {
        image   = "https://pot-registry.zapto.org/registry/"
        pot     = "FBSD120-nginx"
        tag     = "1.0"
        command = "nginx -c /local/${NOMAD_TASK_NAME}.conf -g 'pid /alloc/${NOMAD_ALLOC_ID}.pid;'"
        mount   = ["${NOMAD_ALLOC_DIR}/data:/root/data"]
      }
    }
  }
}
