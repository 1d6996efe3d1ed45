# The seed's task ("nginx-pot", driver "pot") as a service job for the e2e run.
#   nomad job run -var image_url=http://127.0.0.1:8080/ -var host_dir=/tmp/x nginx-pot.nomad.hcl
# image_url: base URL of the registry directory (the test's loopback file server).
# host_dir:  a host directory holding index.html and nginx.conf for `copy`, and
#            test/ and test2/ for the two mounts (the plugin config must allow it).

variable "image_url" {
  type        = string
  description = "Base URL of the pot image registry, e.g. http://127.0.0.1:8080/"
}

variable "host_dir" {
  type        = string
  description = "Host directory with the files the task copies and mounts"
}

job "nginx-pot" {
  datacenters = ["dc1"]
  type        = "service"

  group "web" {
    count = 1

    network {
      port "http" {}
    }

    # Fail fast in tests instead of retrying for minutes.
    restart {
      attempts = 0
      mode     = "fail"
    }
    reschedule {
      attempts  = 0
      unlimited = false
    }

    task "nginx-pot" {
      driver = "pot"

      config {
        image        = var.image_url
        pot          = "FBSD120-nginx"
        tag          = "1.0"
        command      = "nginx -g 'daemon off;'"
        network_mode = "public-bridge"
        port_map = {
          http = "80"
        }
        copy = [
          "${var.host_dir}/index.html:/usr/local/www/nginx-dist/index.html",
          "${var.host_dir}/nginx.conf:/usr/local/etc/nginx/nginx.conf",
        ]
        mount = [
          "${var.host_dir}/test:/root/test",
        ]
        mount_read_only = [
          "${var.host_dir}/test2:/root/test2",
        ]
      }

      kill_timeout = "5s"

      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
