# A batch job whose pot command exits with status 3; the e2e run checks that the
# exit code reaches the task's events ("Exit Code: 3").
#   nomad job run -var image_url=http://127.0.0.1:8080/ batch-exit3.nomad.hcl

variable "image_url" {
  type = string
}

job "batch-exit3" {
  datacenters = ["dc1"]
  type        = "batch"

  group "once" {
    restart {
      attempts = 0
      mode     = "fail"
    }
    reschedule {
      attempts  = 0
      unlimited = false
    }

    task "finish" {
      driver = "pot"

      config {
        image   = var.image_url
        pot     = "FBSD120-nginx"
        tag     = "1.0"
        # finish (in the test image's /usr/local/bin, found through the jail's
        # PATH) prints a line and exits with its first argument.
        command = "finish"
        args    = ["3"]
      }

      resources {
        cpu    = 100
        memory = 32
      }
    }
  }
}
