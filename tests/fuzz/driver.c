/* driver.c — a main() for fuzz targets in builds without libFuzzer (gcc, or clang without
 * the sanitizers): feeds every file named on the command line, or found directly inside
 * a directory named there, to LLVMFuzzerTestOneInput once, in sorted order.
 *
 * This is how the seed corpora and the saved regressions run in every build. Uses only
 * POSIX dirent and stdio. It must never be linked together with libFuzzer (both define
 * main); tests/cmake/fuzz.cmake picks one or the other. A target that crashes takes the
 * process down, which is the failure ctest reports; before each input the driver prints
 * its path to stderr so the culprit is named. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "cannot open '%s'\n", path);
    return -1;
  }
  uint8_t *data = NULL;
  size_t len = 0, cap = 0, n;
  uint8_t chunk[65536];
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
    if (len + n > cap) {
      cap = (len + n) * 2;
      uint8_t *p = realloc(data, cap);
      if (!p) {
        free(data);
        fclose(f);
        fprintf(stderr, "out of memory reading '%s'\n", path);
        return -1;
      }
      data = p;
    }
    memcpy(data + len, chunk, n);
    len += n;
  }
  fclose(f);
  /* an exact-size copy, so a target that reads past the end trips the sanitizers */
  uint8_t *exact = malloc(len ? len : 1);
  if (!exact) {
    free(data);
    return -1;
  }
  if (len)
    memcpy(exact, data, len);
  free(data);
  fprintf(stderr, "running %s (%zu bytes)\n", path, len);
  LLVMFuzzerTestOneInput(exact, len);
  free(exact);
  return 0;
}

static int compare_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every regular file directly inside `dir`; returns the number run, -1 on error. */
static int run_dir(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) {
    fprintf(stderr, "cannot open directory '%s'\n", dir);
    return -1;
  }
  char **names = NULL;
  size_t count = 0, cap = 0;
  struct dirent *e;
  int rc = 0;
  while (rc == 0 && (e = readdir(d))) {
    if (e->d_name[0] == '.')
      continue; /* ".", ".." and hidden files such as .gitkeep */
    if (count == cap) {
      cap = cap ? cap * 2 : 64;
      char **p = realloc(names, cap * sizeof *p);
      if (!p) {
        rc = -1;
        break;
      }
      names = p;
    }
    size_t n = strlen(dir) + strlen(e->d_name) + 2;
    if (!(names[count] = malloc(n)))
      rc = -1;
    else
      snprintf(names[count++], n, "%s/%s", dir, e->d_name);
  }
  closedir(d);
  if (count)
    qsort(names, count, sizeof *names, compare_names);
  int ran = 0;
  for (size_t i = 0; i < count; i++) {
    struct stat st;
    if (rc == 0 && stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
      if (run_file(names[i]) != 0)
        rc = -1;
      else
        ran++;
    }
    free(names[i]);
  }
  free(names);
  return rc == 0 ? ran : -1;
}

int main(int argc, char **argv) {
  int total = 0;
  for (int i = 1; i < argc; i++) {
    struct stat st;
    if (stat(argv[i], &st) != 0) {
      fprintf(stderr, "no such file or directory '%s'\n", argv[i]);
      return 1;
    }
    int n = S_ISDIR(st.st_mode) ? run_dir(argv[i]) : run_file(argv[i]) == 0 ? 1 : -1;
    if (n < 0)
      return 1;
    total += n;
  }
  if (total == 0) {
    fprintf(stderr, "usage: %s FILE_OR_DIR...: no input was run\n", argv[0]);
    return 1;
  }
  fprintf(stderr, "%d inputs ran without a crash\n", total);
  return 0;
}
