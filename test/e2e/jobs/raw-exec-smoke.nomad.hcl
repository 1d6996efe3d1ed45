# Sanity job for the agent itself, independent of our plugin: Nomad's built-in
# raw_exec driver runs a shell loop. run.sh uses it to tell "the agent cannot
# run tasks here" apart from "our driver fails".

job "raw-exec-smoke" {
  datacenters = ["dc1"]
  type        = "service"

  group "smoke" {
    restart {
      attempts = 0
      mode     = "fail"
    }
    reschedule {
      attempts  = 0
      unlimited = false
    }

    task "loop" {
      driver = "raw_exec"

      config {
        command = "/bin/sh"
        args    = ["-c", "trap 'echo raw-exec-smoke got HUP' HUP; echo raw-exec-smoke up; while :; do sleep 1; done"]
      }

      resources {
        cpu    = 50
        memory = 16
      }
    }
  }
}
